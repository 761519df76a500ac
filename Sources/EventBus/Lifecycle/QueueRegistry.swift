import EventLog
import EventQueue
import Synchronization

/// What the bus needs from each of its queues, whatever their element type.
protocol ManagedQueue: Sendable {
    var name: String { get }
    func metrics() -> QueueMetrics
    func close()
    func terminate(releasingInFlight: Bool)
    var recoveryReport: RecoveryReport? { get }
    func waitUntilDrained() async
    func waitUntilIdle() async
    var isIdle: Bool { get }
    /// Deletes the waiting events and the dead letters (``Bus/purgeMailbox(_:)``).
    func purge() async throws -> (pending: Int, deadLetters: Int)
}

extension WorkQueue: ManagedQueue {}

/// Every queue the bus created, with the task consuming it (if any), for metrics, idle waits
/// and shutdown; and the names in use, so that no two of a bus's queues share one.
final class QueueRegistry: Sendable {
    struct Registered: Sendable {
        let queue: any ManagedQueue
        /// What the queue is (for the dashboard).
        let kind: QueueKind
        /// Its dead letters, whatever its type (nil: it keeps none to show — callbacks, the scheduler).
        var deadLetters: DeadLetterAccess?
        /// The tasks the bus runs over the queue (several consumers may share a durable mailbox).
        var consumers: [Task<Void, Never>] = []
    }

    struct State {
        var next: UInt64 = 0
        var queues: [UInt64: Registered] = [:]
        /// Names given out and not yet released with their queue.
        var names: Set<String> = []
    }

    private let state = Locked(State())

    /// A name for a new queue, unique within the bus: `base` itself when no live queue has it,
    /// otherwise `base #2`, `base #3`… (the first number free). Released when the queue it was
    /// given to is removed.
    func claimName(_ base: String) -> String {
        state.withLock { state in
            if state.names.insert(base).inserted { return base }
            var number = 2
            while !state.names.insert("\(base) #\(number)").inserted { number += 1 }
            return "\(base) #\(number)"
        }
    }

    /// Gives back a name claimed for a queue that was never added.
    func releaseName(_ name: String) {
        _ = state.withLock { $0.names.remove(name) }
    }

    @discardableResult
    func add(_ queue: any ManagedQueue, kind: QueueKind, deadLetters: DeadLetterAccess? = nil) -> UInt64 {
        state.withLock { state in
            state.next += 1
            state.queues[state.next] = Registered(queue: queue, kind: kind, deadLetters: deadLetters)
            return state.next
        }
    }

    /// The dead letters of the queue registered under `key`.
    func deadLetters(key: UInt64) -> DeadLetterAccess? {
        state.withLock { $0.queues[key]?.deadLetters }
    }

    /// The dead letters of the live queue named `name` (the name its metrics show).
    func deadLetters(named name: String) -> DeadLetterAccess? {
        state.withLock { state in state.queues.values.first { $0.queue.name == name }?.deadLetters }
    }

    func setConsumer(_ task: Task<Void, Never>, for key: UInt64) {
        state.withLock { $0.queues[key]?.consumers.append(task) }
    }

    func remove(_ key: UInt64) {
        state.withLock { state in
            guard let removed = state.queues.removeValue(forKey: key) else { return }
            state.names.remove(removed.queue.name)
        }
    }

    var all: [Registered] {
        state.withLock { state in state.queues.sorted { $0.key < $1.key }.map(\.value) }
    }
}
