import EventLog
import EventQueue
import Synchronization

/// What the bus has registered beside its routing table: point-to-point channels, declared
/// durable mailboxes, responders, the scheduler of delayed publications, and the shutdown state.
final class Registrations: Sendable {
    struct State {
        var channels: [String: any AnyChannel] = [:]
        /// Durable mailboxes declared in this process, by store and name.
        var mailboxes: [String: DeclaredMailbox] = [:]
        var responders: [ObjectIdentifier: Responder] = [:]
        /// Point-to-point queues stored in a shared store, by queue name: where a `send` inside
        /// the caller's transaction writes.
        var storedQueues: [String: StoredQueueTarget] = [:]
        var nextResponderID: UInt64 = 0
        var scheduler: WorkQueue<ScheduledPublication>?
        var shutdown: ShutdownReport?
        var finished = false
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let state = Locked(State())

    /// Waits until the first shutdown has finished.
    func finished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.finished { return true }
                state.finishWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    func markFinished() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.finished = true
            defer { state.finishWaiters = [] }
            return state.finishWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Where a point-to-point queue's events are stored in a shared store.
struct StoredQueueTarget: Sendable {
    let store: any GroupStore
    /// `queue:<mailbox name>`.
    let group: String
    /// The event type's name.
    let eventName: String
    /// Its `EnvelopeCodec<E>`.
    let codec: any Sendable
}

/// A publication waiting for its time.
struct ScheduledPublication: Sendable {
    let publish: @Sendable () async -> Void
}
