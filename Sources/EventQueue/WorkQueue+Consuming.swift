import EventLog
import Synchronization

extension WorkQueue {
    /// How many events a consumer takes per hold of the queue's lock by default.
    ///
    /// Small on purpose: a take works per event under the lock (lane choice, counters, a latency
    /// sample, a lease), and a producer that finds the lock held spins briefly, then sleeps in
    /// the kernel. At 64, a busy single-subscriber mailbox made 2–10 × more context switches
    /// than at 8 and was 10–15 % slower (Documentation/PerformanceHistory.md, step 23); the lock
    /// round trips that smaller takes add cost far less than the per-event work.
    @usableFromInline package static var batchSize: Int { 8 }

    /// Takes up to `maxCount` ready events, waiting while there are none.
    ///
    /// Returns nil when the queue is closed and drained, when it was terminated, or when the
    /// calling task is cancelled. With storage, the attempt numbers are stored before the
    /// leases are returned. `consumer`: the taking consumer's own visibility timeout, retry and
    /// dead-letter policy, which settle these deliveries (nil: the queue's configuration).
    package func next(
        maxCount: Int = WorkQueue.batchSize,
        consumer: ConsumerSettings? = nil
    ) async throws -> [Lease<Element>]? {
        try await nextBoxed(maxCount: maxCount, consumer: consumer)?.map(Self.typed)
    }

    /// ``next(maxCount:)`` with the elements still boxed, each holding an `Element`: a typed
    /// consumer casts one at a time instead of building a second, generic array.
    ///
    /// Returns an empty batch when ``interruptConsumers()`` was called while it waited.
    @usableFromInline
    package func nextBoxed(
        maxCount: Int = WorkQueue.batchSize,
        consumer: ConsumerSettings? = nil
    ) async throws -> [Lease<any BoxedElement>]? {
        var batch: [Lease<any BoxedElement>] = []
        guard try await nextBoxed(maxCount: maxCount, consumer: consumer, into: &batch) else { return nil }
        return batch
    }

    /// ``nextBoxed(maxCount:consumer:)`` into a consumer's own buffer, emptied first and reused
    /// from take to take (a new array per take cost a malloc and a free). False where that
    /// returns nil.
    @usableFromInline
    package func nextBoxed(
        maxCount: Int = WorkQueue.batchSize,
        consumer: ConsumerSettings? = nil,
        into batch: inout [Lease<any BoxedElement>]
    )
        async throws -> Bool
    {
        batch.removeAll(keepingCapacity: true)
        var interruptions: UInt64?
        while true {
            let now = self.now()
            var effects = QueueEffects()
            // Read under the same hold as the take: with several consumers of one queue, a second
            // hold per empty pass made them contend for the lock (p2p-4-consumers, +14 %).
            var seen: UInt64 = 0
            let open: Bool = state.withLock { state in
                if state.terminated { return false }
                if state.ready > 0 {
                    state.take(max: maxCount, now: now, consumer: consumer, into: &batch, effects: &effects)
                    return true
                }
                if state.closed && state.isDrained { return false }
                seen = state.interruptions
                return true
            }
            if !effects.isEmpty { perform(effects) }
            guard open else { return false }
            if !batch.isEmpty {
                if let storage, state.withLock({ $0.tracked }) {
                    do {
                        try await storage.recordAttempts(batch.map { ($0.id, $0.attempt) })
                    } catch {
                        // Delivered all the same, without the attempt counted on disk (a full
                        // disk must not stop consumption: acknowledging is what frees space).
                        let count = batch.count
                        state.withLock { $0.attemptsNotRecorded += UInt64(count) }
                    }
                }
                return true
            }
            if Task.isCancelled { return false }
            if let interruptions, interruptions != seen { return true }
            interruptions = seen
            await waitForWork()
            if Task.isCancelled { return false }
        }
    }

    /// Wakes every consumer waiting in ``next(maxCount:)`` (its boxed form returns an empty
    /// batch): a consumer that detached from a queue that goes on without it stops waiting.
    package func interruptConsumers() {
        let waiting = state.withLock { state in
            state.interruptions &+= 1
            let waiting = state.consumers.removeAll()
            return waiting
        }
        for waiter in waiting { waiter.continuation.resume() }
    }

    func waitForWork() async {
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                let (resumeNow, demand) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if state.ready > 0 || state.terminated || (state.closed && state.isDrained) || Task.isCancelled {
                        return (true, [])
                    }
                    state.consumers.append((waiterID, continuation))
                    // A pump waits for a consumer to wait (``waitForDemand()``): here is one.
                    guard !state.demandWaiters.isEmpty else { return (false, []) }
                    defer { state.demandWaiters = [] }
                    return (false, state.demandWaiters)
                }
                for waiter in demand { waiter.resume() }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.consumers.removeAll { $0.id == waiterID }.first
            }
            waiter?.continuation.resume()
        }
    }

    /// Acknowledges a lease: the event is done and never delivered again.
    /// A no-op for queues without acknowledgement tracking.
    /// - Throws: ``QueueError/unknownLease(_:)`` when the lease is not in flight (already settled,
    ///   or expired and redelivered); ``QueueError/storage(_:)`` when storage could not record it.
    package func ack(_ lease: Lease<Element>) async throws {
        try await ack(tag: lease.tag)
    }

    /// ``ack(_:)`` by the lease's tag.
    @usableFromInline
    package func ack(tag: UInt64) async throws {
        guard tag != 0 else { return }
        let now = self.now()
        var effects = QueueEffects()
        let entry = state.withLock { $0.acknowledge(tag: tag, now: now, effects: &effects) }
        perform(effects)
        guard let entry else { throw QueueError.unknownLease(tag) }
        if let storage {
            do {
                try await storage.acknowledge(entry.id)
            } catch {
                throw QueueError.storage(StoreFailure(error))
            }
        }
    }

    /// Reports a failed delivery: it is retried per the ``RetryPolicy`` or dead-lettered.
    /// - Throws: as ``ack(_:)``.
    package func nack(_ lease: Lease<Element>, reason: String) async throws {
        try await nack(tag: lease.tag, reason: reason)
    }

    /// ``nack(_:reason:)`` by the lease's tag. `reported`: the caller reports the failure itself
    /// (the bus's own consumers do, as a `HandlerFailure`), so the dead-letter observer is not told.
    package func nack(tag: UInt64, reason: String, reported: Bool = false) async throws {
        guard tag != 0 else { return }
        let now = self.now()
        var effects = QueueEffects()
        let outcome = state.withLock { $0.fail(tag: tag, reason: reason, now: now, effects: &effects) }
        if reported { effects.buried.removeAll() }
        perform(effects)
        guard let outcome else { throw QueueError.unknownLease(tag) }
        try await persist([outcome])
    }

    func persist(_ outcomes: [FailureOutcome]) async throws {
        guard let storage else { return }
        do {
            for outcome in outcomes {
                switch outcome {
                case .retry(let id, let due):
                    try await storage.reschedule(id, notBefore: wallClock(from: due))
                case .deadLettered(let id, let reason, let policy):
                    try await storage.deadLetter(id, reason: reason, policy: policy)
                }
            }
        } catch {
            throw QueueError.storage(StoreFailure(error))
        }
    }
}
