import EventQueue
import Synchronization

/// Bus state beside the routing table: point-to-point channels, responders, the scheduler
/// and the shutdown flag.
final class Services: Sendable {
    struct State {
        var channels: [String: any AnyChannel] = [:]
        /// Durable mailboxes declared in this process, by path.
        var mailboxes: [String: DeclaredMailbox] = [:]
        var responders: [ObjectIdentifier: Responder] = [:]
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

/// A publication waiting for its time.
struct ScheduledPublication: Sendable {
    let publish: @Sendable () async -> Void
}
