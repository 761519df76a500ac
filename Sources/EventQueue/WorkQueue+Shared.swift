import EventLog

// A queue over a store shared with other processes (``QueueStorage/isShared``): it holds only
// what this process claimed. A pump claims from the store when a consumer waits
// (``waitForDemand()``) and admits what it claimed (``admitClaimed(_:id:priority:attempts:)``);
// enqueues, failed deliveries and requeues go to the store.
extension WorkQueue {
    /// Whether the queue's storage is shared with other processes.
    package var isShared: Bool { storage?.isShared ?? false }

    /// Returns when a consumer waits on the queue and nothing is ready for it (a pump claims
    /// then), or when the queue is closed or terminated, or the calling task is cancelled.
    package func waitForDemand() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.terminated || state.closed || Task.isCancelled { return true }
                    if state.ready == 0 && !state.consumers.isEmpty { return true }
                    state.demandWaiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiters = state.withLock { state in
                defer { state.demandWaiters = [] }
                return state.demandWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    /// How many consumers wait for an event now (a pump claims about as many).
    package var waitingConsumers: Int { state.withLock { $0.consumers.count } }

    /// Admits an event this process claimed from the shared store: ready in its lane at once,
    /// with the attempts the store counted (its next delivery is attempt `attempts + 1`),
    /// whatever the capacity (the claim is bounded by the pump). False when the queue is closed.
    @discardableResult
    package func admitClaimed(_ element: Element, id: EventID, priority: Priority, attempts: Int) -> Bool {
        let now = Tick(clock.now)
        var effects = QueueEffects()
        let admitted = state.withLock { state -> Bool in
            guard !state.terminated else { return false }
            state.insert(
                QueueEntry(element: Self.box(element), id: id, priority: priority, attempts: attempts, enqueuedAt: now),
                notBefore: nil,
                now: now,
                effects: &effects
            )
            state.enqueued += 1
            state.arrivals.record(1, now: now)
            return true
        }
        perform(effects)
        return admitted
    }

    /// An enqueue into a shared store: stored there, for whichever process claims it; nothing of
    /// it stays here.
    func enqueueShared(
        _ element: Element,
        id: EventID,
        priority: Priority,
        notBefore: ContinuousClock.Instant?,
        in storage: any QueueStorage<Element>
    ) async throws -> EnqueueOutcome {
        if state.withLock({ $0.closed || $0.terminated }) { throw QueueError.closed }
        do {
            try await storage.append(
                StoredEvent(
                    element: element,
                    id: id,
                    priority: priority,
                    attempts: 0,
                    notBefore: wallClock(from: notBefore)
                )
            )
        } catch {
            throw QueueError.storage(StoreFailure(error))
        }
        return .enqueued
    }

    /// A requeue of a shared store's dead letters happens in the store (all of them, or those
    /// with the given ids); the copies this process kept of those it buried are dropped.
    func requeueShared(ids: Set<EventID>?, in storage: any QueueStorage<Element>) async throws -> Int {
        state.withLock { state in _ = state.deadLetters.removeAll { ids?.contains($0.id) ?? true } }
        do {
            guard let ids else { return try await storage.requeueAll() }
            try await storage.requeue(Array(ids))
            return ids.count
        } catch {
            throw QueueError.storage(StoreFailure(error))
        }
    }
}
