import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Synchronization

/// Records every event published on a bus, for assertions in tests.
///
/// ```swift
/// let recorder = try EventRecorder(bus)
/// try await bus.publish(OrderPlaced(id: 1))
/// let orders = try await recorder.wait(for: OrderPlaced.self, count: 1)
/// #expect(orders.map(\.id) == [1])
/// ```
///
/// It sees events in publish order, as they are published; ``wait(for:count:timeout:)`` waits
/// for events published from other tasks.
public final class EventRecorder: Sendable {
    /// One recorded event.
    public struct Record: Sendable {
        /// The event.
        public let event: any Event
        /// Its metadata.
        public let metadata: EventMetadata
        /// Its type name.
        public var eventName: String { type(of: event).eventName }
    }

    private struct State {
        var records: [Record] = []
        var waiters:
            [UInt64: (predicate: @Sendable ([Record]) -> Bool, continuation: CheckedContinuation<Void, Never>)] =
                [:]
        var nextID: UInt64 = 0
    }

    private final class Storage: Sendable {
        let state = Locked(State())
    }

    private let storage = Storage()
    private let installation: MiddlewareInstallation

    /// Starts recording every event published on `bus` from now on.
    ///
    /// The recorder is a middleware: it sees each event as it is published (after the
    /// middlewares installed before it), without subscribing — it does not change who receives
    /// what, and an event nobody handles still becomes a `DeadEvent`.
    public init(_ bus: Bus) throws {
        if bus.isShutDown { throw BusError.shutDown }
        installation = bus.use(Tap(storage: storage))
    }

    /// Stops recording.
    public func stop() {
        installation.cancel()
    }

    /// The middleware that feeds the recorder.
    private struct Tap: Middleware {
        let storage: Storage

        func willPublish(_ envelope: inout PublishEnvelope) throws {
            let record = Record(event: envelope.event, metadata: envelope.metadata)
            let ready = storage.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.records.append(record)
                var ready: [CheckedContinuation<Void, Never>] = []
                for (id, waiter) in state.waiters where waiter.predicate(state.records) {
                    ready.append(waiter.continuation)
                    state.waiters[id] = nil
                }
                return ready
            }
            for continuation in ready { continuation.resume() }
        }
    }

    /// Everything recorded so far, in publish order.
    public var records: [Record] { storage.state.withLock { $0.records } }

    /// The recorded events of type `E`, in publish order.
    public func events<E: Event>(of type: E.Type) -> [E] {
        records.compactMap { $0.event as? E }
    }

    /// The recorded event names, in publish order.
    public var eventNames: [String] { records.map(\.eventName) }

    /// Waits until at least `count` events of type `E` were recorded and returns them.
    /// - Throws: ``ExpectationTimeout`` when they do not arrive within `timeout` (a guard
    ///   against a hung test, not a measurement).
    @discardableResult
    public func wait<E: Event>(
        for type: E.Type,
        count: Int = 1,
        timeout: Duration = .seconds(10)
    ) async throws
        -> [E]
    {
        try await wait(timeout: timeout, describing: "\(count) × \(E.eventName)") { records in
            records.lazy.filter { $0.event is E }.count >= count
        }
        return events(of: E.self)
    }

    /// Waits until `predicate` holds for the records.
    public func wait(
        timeout: Duration = .seconds(10),
        describing expectation: String = "a condition on recorded events",
        until predicate: @escaping @Sendable ([Record]) -> Bool
    ) async throws {
        let id = storage.state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        let satisfied = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = self.storage.state.withLock { state -> Bool in
                        if predicate(state.records) { return true }
                        state.waiters[id] = (predicate, continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            if !first {
                let waiter = self.storage.state.withLock { $0.waiters.removeValue(forKey: id) }
                waiter?.continuation.resume()
            }
            group.cancelAll()
            return first
        }
        guard satisfied else {
            throw ExpectationTimeout(expectation: expectation, recorded: eventNames)
        }
    }
}

/// An expected event did not arrive in time.
public struct ExpectationTimeout: Error, Sendable, CustomStringConvertible {
    /// What was expected.
    public let expectation: String
    /// The names of the events recorded until then.
    public let recorded: [String]

    /// "expected 1 × OrderPlaced; recorded: [...]".
    public var description: String {
        "expected \(expectation); recorded: \(recorded)"
    }
}
