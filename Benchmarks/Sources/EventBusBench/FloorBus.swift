import EventBus
import Foundation
import Synchronization

/// The least a typed event bus can do per publish, written in the benchmark's own module (where
/// everything specialises): the floor under `observer-1` and `mailbox-1`.
///
/// A publish looks its subscribers up by event type under a lock, makes metadata (a 128-bit id
/// from an atomic counter and the publish time) and either awaits each observer's stored closure,
/// which hops to the observer actor, or appends to each subscriber's queue, which a consumer task
/// drains in batches. It has none of what the bus adds: no bounds or overflow policy, no
/// priorities, acks, dedup or metrics, no weak references, no `EventContext`, no report, no
/// protocol subscriptions, no middleware, no shutdown.
final class FloorBus: Sendable {
    /// What a floor delivery carries besides the event.
    struct Metadata: Sendable {
        let id: EventID
        let publishedAt: Date
    }

    /// The subscriptions of one event type.
    final class Route<E: Sendable>: Sendable {
        let observers: [@Sendable (E, Metadata) async -> Void]
        let queues: [FloorQueue<(E, Metadata)>]

        init(observers: [@Sendable (E, Metadata) async -> Void], queues: [FloorQueue<(E, Metadata)>]) {
            self.observers = observers
            self.queues = queues
        }
    }

    private let routes = Mutex<[ObjectIdentifier: AnyObject]>([:])
    private let ids = FloorIDGenerator()

    /// Subscribes an observer closure (it awaits the observer actor itself).
    func on<E: Sendable>(_ type: E.Type, _ observer: @escaping @Sendable (E, Metadata) async -> Void) {
        let old = route(for: type)
        set(Route(observers: (old?.observers ?? []) + [observer], queues: old?.queues ?? []), for: type)
    }

    /// Subscribes a queue for a consumer task.
    func subscribe<E: Sendable>(_ type: E.Type) -> FloorQueue<(E, Metadata)> {
        let queue = FloorQueue<(E, Metadata)>()
        let old = route(for: type)
        set(Route(observers: old?.observers ?? [], queues: (old?.queues ?? []) + [queue]), for: type)
        return queue
    }

    /// Publishes to every observer, then every queue, of the event's type.
    func publish<E: Sendable>(_ event: E) async {
        guard let route = route(for: E.self) else { return }
        let metadata = Metadata(id: ids.next(), publishedAt: Date())
        for observer in route.observers { await observer(event, metadata) }
        for queue in route.queues { queue.push((event, metadata)) }
    }

    private func route<E: Sendable>(for type: E.Type) -> Route<E>? {
        let route = routes.withLock { $0[ObjectIdentifier(type)] }
        return route.map { unsafeDowncast($0, to: Route<E>.self) }
    }

    private func set<E: Sendable>(_ route: Route<E>, for type: E.Type) {
        routes.withLock { $0[ObjectIdentifier(type)] = route }
    }
}

/// The floor bus's event ids, made as the bus makes its own: a random 64-bit nonce chosen once and
/// a relaxed atomic counter. (The bench sees only EventBus's public API, so it has its own.)
final class FloorIDGenerator: Sendable {
    private let nonce: UInt64
    private let counter = Atomic<UInt64>(0)

    /// A generator with a fresh random nonce.
    init() {
        var generator = SystemRandomNumberGenerator()
        nonce = generator.next()
    }

    /// The next identifier; safe to call from any thread.
    func next() -> EventID {
        EventID(high: nonce, low: counter.wrappingAdd(1, ordering: .relaxed).newValue)
    }
}

/// An unbounded queue from publishers to one consumer task, which takes everything queued at once.
final class FloorQueue<Element: Sendable>: Sendable {
    private struct State {
        var elements: [Element] = []
        var waiter: UnsafeContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Appends, and wakes the consumer when it waits.
    func push(_ element: Element) {
        let waiter = state.withLock { state in
            state.elements.append(element)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Everything queued, waiting for at least one element.
    func take() async -> [Element] {
        while true {
            let batch = state.withLock { state in
                var batch: [Element] = []
                swap(&batch, &state.elements)
                return batch
            }
            if !batch.isEmpty { return batch }
            await withUnsafeContinuation { continuation in
                let ready = state.withLock { state in
                    if !state.elements.isEmpty { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }
}
