import EventLog
import Synchronization

extension WorkQueue {
    // MARK: Dead letters

    /// The dead letters kept, oldest first.
    package func deadLetters() -> [DeadLetter<Element>] {
        state.withLock { state in
            (0..<state.deadLetters.count).map { index in
                let letter = state.deadLetters[index]
                return DeadLetter(
                    element: Self.typed(letter.element),
                    id: letter.id,
                    priority: letter.priority,
                    attempts: letter.attempts,
                    reason: letter.reason,
                    deadLetteredAt: letter.deadLetteredAt
                )
            }
        }
    }

    /// The stored records that storage could not turn into elements when the queue opened (see
    /// ``RecoveredState/unreadable``): dead letters, kept as bytes, oldest first. A requeue does
    /// not move them (no element can be made of them in this process); the store's own tools do.
    package func unreadableDeadLetters() -> [UnreadableRecord] {
        state.withLock { $0.unreadable }
    }

    /// Puts dead letters back in their lanes with a fresh attempt count (all of them, or those
    /// whose id is in `ids`). Requeued events may exceed the capacity: an operator asked for them.
    /// - Returns: how many were requeued.
    @discardableResult
    package func requeueDeadLetters(ids: Set<EventID>? = nil) async throws -> Int {
        if let storage, storage.isShared { return try await requeueShared(ids: ids, in: storage) }
        let now = self.now()
        var effects = QueueEffects()
        let requeued: [EventID] = state.withLock { state in
            let letters = state.deadLetters.removeAll { ids?.contains($0.id) ?? true }
            for letter in letters {
                state.insert(
                    QueueEntry(
                        element: letter.element,
                        id: letter.id,
                        priority: letter.priority,
                        attempts: 0,
                        enqueuedAt: now
                    ),
                    notBefore: nil,
                    now: now,
                    effects: &effects
                )
            }
            return letters.map(\.id)
        }
        perform(effects)
        if let storage, !requeued.isEmpty {
            do {
                try await storage.requeue(requeued)
            } catch {
                throw QueueError.storage(StoreFailure(error))
            }
        }
        return requeued.count
    }

    // MARK: Lifecycle

    /// Stops accepting events; consumers receive what is left, then nil. Waiting producers fail
    /// with ``QueueError/closed``.
    package func close() {
        var effects = QueueEffects()
        state.withLock { state in
            state.closed = true
            state.closeAll(error: .closed, effects: &effects)
        }
        perform(effects)
    }

    /// Closes the queue and ends every consumer at once; undelivered events stay where they are
    /// (in storage, if any, for the next open).
    ///
    /// - Parameter releasingInFlight: tell the storage that the deliveries in progress were given
    ///   back unfinished, so that they count as neither attempts nor crashes when the queue is
    ///   opened again (a clean stop). False leaves them as a crash would.
    package func terminate(releasingInFlight: Bool = true) {
        var effects = QueueEffects()
        let inFlight: [EventID] = state.withLock { state in
            guard releasingInFlight, storage != nil, !state.terminated else { return [] }
            return state.inFlight.values.map(\.id)
        }
        state.withLock { state in
            state.closed = true
            state.terminated = true
            effects.cancelTimer = state.timerTask
            state.timerTask = nil
            state.armed = nil
            state.closeAll(error: .closed, effects: &effects)
            if !state.drainWaiters.isEmpty {
                effects.drained.append(contentsOf: state.drainWaiters.map(\.continuation))
                state.drainWaiters.removeAll()
            }
        }
        perform(effects)
        storage?.close(releasing: inFlight)
    }

    /// Whether nothing can progress without the clock moving (see ``waitUntilIdle()``).
    package var isIdle: Bool { state.withLock { $0.terminated || $0.satisfies(includeDelayed: false) } }

    /// Whether ``close()`` or ``terminate(releasingInFlight:)`` was called.
    package var isClosed: Bool { state.withLock { $0.closed } }

    /// Waits until nothing is ready, delayed, reserved or in flight (or the queue is terminated).
    package func waitUntilDrained() async {
        await waitUntil(includeDelayed: true)
    }

    /// Waits until nothing can progress without the clock moving: nothing ready, reserved, in
    /// flight or being handled, and no delayed event already due.
    package func waitUntilIdle() async {
        await waitUntil(includeDelayed: false)
    }

    func waitUntil(includeDelayed: Bool) async {
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.satisfies(includeDelayed: includeDelayed) || state.terminated || Task.isCancelled {
                        return true
                    }
                    state.drainWaiters.append((waiterID, includeDelayed, continuation))
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                guard let index = state.drainWaiters.firstIndex(where: { $0.id == waiterID }) else {
                    return nil
                }
                return state.drainWaiters.remove(at: index).continuation
            }
            waiter?.resume()
        }
    }

    /// Terminates the queue and hands back every event it held (ready, delayed and in flight),
    /// so that another queue can take them over.
    package func removeAll() -> [RemovedEvent<Element>] {
        var effects = QueueEffects()
        let removed: [RemovedEvent<Element>] = state.withLock { state in
            var entries: [QueueEntry] = []
            for lane in 0..<3 {
                let priority = Priority(rawValue: UInt8(lane)) ?? .normal
                entries += state.lanes[lane].removeAll().map { $0.entry(priority: priority) }
            }
            state.ready = 0
            entries += state.delayed.removeAll()
            entries += state.inFlight.sorted { $0.key < $1.key }.map(\.value)
            state.inFlight.removeAll()
            state.settings.removeAll()
            state.closed = true
            state.terminated = true
            effects.cancelTimer = state.timerTask
            state.timerTask = nil
            state.closeAll(error: .closed, effects: &effects)
            return entries.map {
                RemovedEvent(element: Self.typed($0.element), id: $0.id, priority: $0.priority, attempts: $0.attempts)
            }
        }
        perform(effects)
        return removed
    }

    /// Makes ``next(maxCount:)`` count handed-out events as outstanding until ``complete(_:)``
    /// reports them handled, so that drain and idle waits cover handling too.
    package func trackCompletion() {
        state.withLock { $0.trackCompletion = true }
    }

    /// Reports that `count` handed-out events have been handled. A queue with automatic
    /// acknowledgement counts them acknowledged here: until then they are in flight.
    @usableFromInline
    package func complete(_ count: Int) {
        guard count > 0 else { return }
        let now = self.now()
        var effects = QueueEffects()
        state.withLock { state in
            if !state.tracked { state.settleUntracked(count, now: now) }
            guard state.trackCompletion else { return }
            state.outstanding = max(0, state.outstanding - count)
            state.checkDrained(&effects)
        }
        perform(effects)
    }

    /// Inserts an event regardless of capacity and without storage (hand-over between queues).
    package func forceEnqueue(_ element: Element, id: EventID, priority: Priority, attempts: Int) -> Bool {
        let now = self.now()
        var effects = QueueEffects()
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.enqueued += 1
            state.arrivals.record(1, now: now)
            state.insert(
                QueueEntry(element: Self.box(element), id: id, priority: priority, attempts: attempts, enqueuedAt: now),
                notBefore: nil,
                now: now,
                effects: &effects
            )
            return true
        }
        perform(effects)
        return accepted
    }

    /// Whether deliveries are tracked until acknowledged (``AcknowledgementMode/explicit(visibilityTimeout:)``).
    @usableFromInline package var isTracked: Bool {
        if case .explicit = configuration.acknowledgement { return true }
        return false
    }

    /// Whether the queue calls storage (then ``tryEnqueue(_:id:priority:notBefore:)`` is unavailable).
    @usableFromInline
    package var hasStorage: Bool { storage != nil }

    /// Ready plus in-flight events: the load used by least-loaded dispatch.
    @usableFromInline
    package var load: Int { state.withLock { $0.ready + $0.inFlight.count } }

    // MARK: Metrics

    /// A snapshot of depth, counters, rates, latency and the forecast.
    package func metrics() -> QueueMetrics {
        let now = self.now()
        return state.withLock { state in
            QueueMetrics(
                name: name,
                depth: state.ready,
                delayed: state.delayed.count,
                inFlight: state.tracked ? state.inFlight.count : state.handedOut,
                handling: state.outstanding,
                capacity: state.limit == Int.max ? nil : state.limit,
                enqueued: state.enqueued,
                delivered: state.delivered,
                acked: state.acked,
                nacked: state.nacked,
                retried: state.retried,
                dropped: state.dropped,
                deduplicated: state.deduplicated,
                deadLettered: state.deadLettered,
                deadLetters: state.deadLetters.count + state.unreadable.count,
                deadLettersDiscarded: state.deadLettersDiscarded,
                purged: state.purged,
                attemptsNotRecorded: state.attemptsNotRecorded,
                recovery: state.recovery,
                waitingProducers: state.producers.count,
                waitingConsumers: state.consumers.count,
                arrivalRate: state.arrivals.rate(now: now),
                consumeRate: state.consumption.rate(now: now),
                latency: state.latency.summary
            )
        }
    }
}
