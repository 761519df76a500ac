import EventLog
import EventQueue

/// A consumer group as one process declared it: the bus routes every event of its type into
/// the shared store, and this process's consumers claim from it. Its state lives in the store;
/// this keeps what the bus shows of it (counters, whether its consumers are busy) and stops them
/// at shutdown. It is the `queue` of the group's ``DeclaredMailbox`` and is in the bus's registry.
final class GroupMailbox: ManagedQueue {
    private struct State {
        /// Shutdown began: consumers drain what they can claim, then stop.
        var draining = false
        /// Stopped at once (the drain's deadline passed, or the mailbox was removed).
        var terminated = false
        /// Stopped as a crash stops it (a test's simulated crash): consumers write nothing more
        /// and give nothing back; their leases run out.
        var crashed = false
        /// The lease owners of this process's running consumer loops, and of those that ran when
        /// the drain began (whose events the shutdown report counts).
        var owners: Set<String> = []
        var drainingOwners: [String] = []
        var metrics: QueueMetrics
        /// Consumer loops running, and how many of them are claiming or handling.
        var running = 0
        var busy = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        /// The store's counts, as a consumer loop last read them.
        var snapshot: GroupSnapshot?
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
        /// The shared queue of this process's `subscribe` and `receive` consumers, fed by a
        /// ``GroupPump`` (made at the first of them).
        var shared: (any ManagedQueue)?
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

    /// Whether shutdown began: consumers go on claiming until the group has nothing visible or
    /// waiting for them, then stop.
    var isDraining: Bool { state.withLock { $0.draining } }

    /// Whether the group was stopped at once (the drain's deadline passed, or it was removed):
    /// consumers stop and give back what they hold.
    var isTerminated: Bool { state.withLock { $0.terminated } }

    /// Whether it was stopped as a crash would stop it: consumers neither write their unwritten
    /// settlements nor give back what they hold.
    var isCrashed: Bool { state.withLock { $0.crashed } }

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
            if let shared = state.shared?.metrics() {
                // What this process's subscribers did, beside its `consume` loops.
                metrics.delivered += shared.delivered
                metrics.acked += shared.acked
                metrics.nacked += shared.nacked
                metrics.retried += shared.retried
                metrics.deadLettered += shared.deadLettered
                metrics.handling += shared.handling
                metrics.waitingConsumers += shared.waitingConsumers
            }
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

    /// The drain of a shutdown: consumers stop once nothing is left for them to claim.
    func close() {
        state.withLock { state in
            state.draining = true
            state.drainingOwners = state.owners.sorted()
        }
        store.wake(group: name)
    }

    /// Stops every consumer at once; each gives back what it holds (not counted as an attempt).
    func terminate(releasingInFlight: Bool) {
        let shared = state.withLock { state in
            state.draining = true
            state.terminated = true
            // Sticky: the route's removal that follows a simulated crash does not undo it.
            state.crashed = state.crashed || !releasingInFlight
            return state.shared
        }
        shared?.terminate(releasingInFlight: releasingInFlight)
        store.wake(group: name)
    }

    /// The shared queue of this process's `subscribe`/`receive` consumers of the group, made (with
    /// its pump) at the first call: events claimed from the store wait there for them.
    func sharedQueue<E: Event>(
        of type: E.Type,
        codec: EnvelopeCodec<E>,
        clock: any QueueClock
    ) async throws -> WorkQueue<Envelope<E>> {
        if let existing = state.withLock({ $0.shared }) {
            guard let typed = existing as? WorkQueue<Envelope<E>> else {
                throw BusError.queueTypeMismatch(queue: name, expected: eventName, actual: E.eventName)
            }
            return typed
        }
        if isTerminated { throw BusError.shutDown }
        let owner = EventID.random().description
        let storage = GroupQueueStorage<E>(store: store, group: name, owner: owner, codec: codec) {
            [weak self] trimmed in
            self?.count { $0.deadLettersDiscarded += UInt64(trimmed) }
        }
        let queue = try await WorkQueue<Envelope<E>>.open(
            name: name,
            configuration: QueueConfiguration(
                capacity: .unbounded,
                acknowledgement: .explicit(visibilityTimeout: nil),
                clock: clock
            ),
            storage: storage
        )
        let winner = state.withLock { state -> (any ManagedQueue)? in
            if let existing = state.shared { return existing }
            state.shared = queue
            return nil
        }
        if let winner {
            queue.terminate(releasingInFlight: true)
            guard let typed = winner as? WorkQueue<Envelope<E>> else {
                throw BusError.queueTypeMismatch(queue: name, expected: eventName, actual: E.eventName)
            }
            return typed
        }
        loopStarted(owner: owner)
        let pump = GroupPump(queue: queue, storage: storage, group: self, codec: codec, owner: owner)
        Task { await pump.run() }
        return queue
    }

    /// What this process leaves in the group, counted in the store when its shutdown ends: the
    /// group's events that are visible, delayed, or leased by a consumer of this process (events
    /// leased by other instances are theirs). Zero when no consumer of this process ran when the
    /// drain began (a process that only publishes leaves the group's events to their consumers);
    /// the consumers' own counts when the store cannot be read within `bound`.
    func remaining(within bound: Duration) async -> Int {
        let (owners, fallback) = state.withLock { state in
            (state.drainingOwners, state.snapshot.map { $0.visible + $0.delayed + $0.leased } ?? 0)
        }
        guard !owners.isEmpty else { return 0 }
        let store = self.store
        let name = self.name
        let race = Race<Int?>()
        let counted = await withCheckedContinuation { (continuation: CheckedContinuation<Int?, Never>) in
            race.start(continuation)
            race.add(Task { race.finish(.success(try? await store.remaining(group: name, owners: owners))) })
            race.add(
                Task {
                    try? await Task.sleep(for: bound)
                    race.finish(.success(nil))
                }
            )
        }
        return counted ?? fallback
    }

    var recoveryReport: RecoveryReport? { nil }

    /// A consumer loop starts, claiming as `owner`.
    func loopStarted(owner: String) {
        state.withLock { state in
            state.running += 1
            state.busy += 1
            state.owners.insert(owner)
        }
    }

    /// A consumer loop ended (it released what it held).
    func loopEnded(owner: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.owners.remove(owner)
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
