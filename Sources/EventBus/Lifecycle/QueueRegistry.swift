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
}

extension WorkQueue: ManagedQueue {}

/// Every queue the bus created, with the task consuming it (if any), for metrics, idle waits
/// and shutdown.
final class QueueRegistry: Sendable {
    struct Registered: Sendable {
        let queue: any ManagedQueue
        /// The tasks the bus runs over the queue (several consumers may share a durable mailbox).
        var consumers: [Task<Void, Never>] = []
    }

    private let state = Locked<(next: UInt64, queues: [UInt64: Registered])>((0, [:]))

    @discardableResult
    func add(_ queue: any ManagedQueue) -> UInt64 {
        state.withLock { state in
            state.next += 1
            state.queues[state.next] = Registered(queue: queue)
            return state.next
        }
    }

    func setConsumer(_ task: Task<Void, Never>, for key: UInt64) {
        state.withLock { $0.queues[key]?.consumers.append(task) }
    }

    func remove(_ key: UInt64) {
        _ = state.withLock { $0.queues.removeValue(forKey: key) }
    }

    var all: [Registered] {
        state.withLock { state in state.queues.sorted { $0.key < $1.key }.map(\.value) }
    }
}
