import EventLog
import EventQueue

/// A consumer group as one process declared it: the bus routes every event of its type into
/// the shared store, and this process's consumers claim from it. Its state lives in the store;
/// this keeps what the bus shows of it (counters, whether its consumers are busy) and stops them
/// at shutdown. It is the `queue` of the group's ``DeclaredMailbox`` and is in the bus's registry.
final class GroupMailbox: ManagedQueue {
    private struct State {
        var closed = false
        var metrics: QueueMetrics
        /// Consumer loops running, and how many of them are claiming or handling.
        var running = 0
        var busy = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// The store's counts, as a consumer loop last read them.
        var snapshot: GroupSnapshot?
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// The group's name (the mailbox's).
    let name: String
    /// The event type's name.
    let eventName: String
    /// Where the group's events are.
    let store: any GroupStore
    private let state: Locked<State>

    init(name: String, eventName: String, store: any GroupStore) {
        self.name = name
        self.eventName = eventName
        self.store = store
        self.state = Locked(State(metrics: QueueMetrics(name: name)))
    }

    /// Whether the bus closed it (shutdown, removal): its consumers stop.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Counters of this process (deliveries, acknowledgements, retries, dead letters by its
    /// consumers; `handling` and `waitingConsumers` from its loops), and the group-wide `depth`,
    /// `delayed`, `inFlight` (leased by any instance) and `deadLetters` as its consumers last
    /// read them from the store (every ten polls).
    func metrics() -> QueueMetrics {
        state.withLock { state in
            var metrics = state.metrics
            metrics.capacity = nil
            metrics.handling = state.busy
            metrics.waitingConsumers = state.running - state.busy
            if let snapshot = state.snapshot {
                metrics.depth = snapshot.visible
                metrics.delayed = snapshot.delayed
                metrics.inFlight = snapshot.leased
                metrics.deadLetters = snapshot.deadLetters
            }
            return metrics
        }
    }

    /// Records the store's counts.
    func record(_ snapshot: GroupSnapshot) {
        state.withLock { $0.snapshot = snapshot }
    }

    /// Updates the counters.
    func count(_ update: (inout QueueMetrics) -> Void) {
        state.withLock { update(&$0.metrics) }
    }

    func close() {
        state.withLock { $0.closed = true }
        store.wake(group: name)
    }

    func terminate(releasingInFlight: Bool) {
        close()
    }

    var recoveryReport: RecoveryReport? { nil }

    /// A consumer loop starts.
    func loopStarted() {
        state.withLock { state in
            state.running += 1
            state.busy += 1
        }
    }

    /// A consumer loop ended (it released what it held).
    func loopEnded() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            state.busy -= 1
            var waiters: [CheckedContinuation<Void, Never>] = []
            if state.busy == 0 {
                waiters += state.idleWaiters
                state.idleWaiters = []
            }
            if state.running == 0 {
                waiters += state.drainWaiters
                state.drainWaiters = []
            }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// A loop found nothing to claim (idle) or goes back to claiming (busy).
    func setBusy(_ busy: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.busy += busy ? 1 : -1
            guard state.busy == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Until every consumer loop of this process has stopped.
    func waitUntilDrained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Until no consumer loop of this process is claiming or handling (each found nothing to
    /// claim): a group is idle here when this process has nothing of it in hand.
    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.busy == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    var isIdle: Bool { state.withLock { $0.busy == 0 } }

    /// Deletes the group's events and dead letters in the store; the counts its metrics show
    /// drop to zero until its consumers read the store again.
    func purge() async throws -> (pending: Int, deadLetters: Int) {
        let deleted = try await store.purge(group: name)
        state.withLock { state in
            state.snapshot?.visible = 0
            state.snapshot?.delayed = 0
            state.snapshot?.leased = 0
            state.snapshot?.deadLetters = 0
            state.metrics.purged += UInt64(deleted.pending)
        }
        return (deleted.pending, deleted.deadLetters)
    }
}
