import EventLog
import EventQueue
import Synchronization

/// The routing table: subscriptions by event type, and the compiled route per concrete type.
///
/// Publishing reads it under a mutex instead of hopping onto the ``Bus`` actor: one
/// uncontended lock, one dictionary look-up. A route is compiled once per concrete event type
/// (protocol matches included) and dropped when a subscription that could affect it changes.
@usableFromInline
final class Router: Sendable {
    @usableFromInline
    struct State: Sendable {
        var nextID: UInt64 = 0
        var records: [UInt64: SubscriptionRecord] = [:]
        var exact: [ObjectIdentifier: [UInt64]] = [:]
        var patterns: [UInt64] = []
        @usableFromInline var routes: [ObjectIdentifier: AnyRoute] = [:]
        @usableFromInline var shutDown = false
        @usableFromInline var compiled: UInt64 = 0
    }

    @usableFromInline let state = Locked(State())

    /// The compiled route for `sample`'s type, compiling it when needed.
    @inlinable
    func route<E: Event>(for sample: E) throws(BusError) -> Route<E> {
        let key = ObjectIdentifier(E.self)
        return try state.withLock { state throws(BusError) -> Route<E> in
            if state.shutDown { throw .shutDown }
            if let route = state.routes[key] {
                return unsafeDowncast(route, to: Route<E>.self)
            }
            let route = Self.compile(sample, key: key, state: state)
            state.routes[key] = route
            state.compiled += 1
            return route
        }
    }

    @usableFromInline
    static func compile<E: Event>(_ sample: E, key: ObjectIdentifier, state: State) -> Route<E> {
        let ids = (state.exact[key] ?? []) + state.patterns
        let records = ids.compactMap { state.records[$0] }.sorted { ($0.order, $0.id) < ($1.order, $1.id) }
        return Route(entries: records.compactMap { $0.factory.entry(for: sample, subscriptionID: $0.id) })
    }

    /// Adds a subscription; returns its id.
    func add(
        target: RouteTarget,
        strategy: Strategy,
        order: Int = 0,
        factory: any EntryFactory,
        onCancel: (@Sendable () -> Void)? = nil,
        isAlive: (@Sendable () -> Bool)? = nil
    ) throws(BusError) -> UInt64 {
        try state.withLock { state throws(BusError) -> UInt64 in
            if state.shutDown { throw .shutDown }
            state.nextID += 1
            let id = state.nextID
            state.records[id] = SubscriptionRecord(
                id: id,
                order: order,
                target: target,
                strategy: strategy,
                factory: factory,
                onCancel: onCancel,
                isAlive: isAlive
            )
            switch target {
            case .exact(let key):
                state.exact[key, default: []].append(id)
                state.routes[key] = nil
            case .pattern:
                state.patterns.append(id)
                state.routes.removeAll(keepingCapacity: true)
            case .detached, .consumer:
                break
            }
            return id
        }
    }

    /// Removes subscriptions; returns whether any was still present.
    @usableFromInline
    @discardableResult
    func remove(_ ids: [UInt64]) -> Bool {
        let removed: [SubscriptionRecord] = state.withLock { state in
            var removed: [SubscriptionRecord] = []
            for id in ids {
                guard let record = state.records.removeValue(forKey: id) else { continue }
                removed.append(record)
                switch record.target {
                case .exact(let key):
                    state.exact[key]?.removeAll { $0 == id }
                    if state.exact[key]?.isEmpty == true { state.exact[key] = nil }
                    state.routes[key] = nil
                case .pattern:
                    state.patterns.removeAll { $0 == id }
                    state.routes.removeAll(keepingCapacity: true)
                case .detached, .consumer:
                    break
                }
            }
            return removed
        }
        for record in removed { record.onCancel?() }
        return !removed.isEmpty
    }

    /// Refuses everything from now on; returns the subscriptions that were active.
    func shutDown() -> [SubscriptionRecord] {
        state.withLock { state in
            state.shutDown = true
            state.routes.removeAll()
            return state.records.values.sorted { $0.id < $1.id }
        }
    }

    var isShutDown: Bool { state.withLock { $0.shutDown } }

    /// How many subscriptions are active (all, or those of one strategy). Subscriptions whose
    /// observer was released are removed first, so the count is right without a publish.
    func count(strategy: Strategy? = nil) -> Int {
        let released = state.withLock { state in
            state.records.values.compactMap { record in
                record.isAlive.map { $0() ? nil : record.id } ?? nil
            }
        }
        if !released.isEmpty { remove(released) }
        return state.withLock { state in
            state.records.values.count { record in
                if case .consumer = record.target { return false }
                return strategy.map { record.strategy == $0 } ?? true
            }
        }
    }

    /// How many routes have been compiled since the bus started (tests check the cache with it).
    var compiledRoutes: UInt64 { state.withLock { $0.compiled } }

    func contains(_ id: UInt64) -> Bool { state.withLock { $0.records[id] != nil } }
}
