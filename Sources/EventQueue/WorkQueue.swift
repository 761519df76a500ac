import Synchronization

/// The in-process queue core: a bounded, prioritised, acknowledging queue of values.
///
/// Producers enqueue under a mutex, without an actor hop; consumers take batches, so a busy
/// queue costs one wake-up per batch rather than per event. Every mailbox, point-to-point
/// channel and scheduler in EventBus is one of these.
///
/// - Ordering: FIFO within a ``Priority`` lane. A retried event rejoins the back of its lane.
/// - Bounds: ``Capacity``; ready, delayed, in-flight and reserved events all count.
/// - Acknowledgement: ``AcknowledgementMode``; with `.explicit`, ``ack(_:)`` and
///   ``nack(_:reason:)`` settle a lease, ``RetryPolicy`` and ``DeadLetterPolicy`` decide what
///   a failure becomes.
@usableFromInline
package final class WorkQueue<Element: Sendable>: Sendable {
    /// The queue's name, used in metrics.
    package let name: String
    /// The settings it was created with.
    @usableFromInline package let configuration: QueueConfiguration
    let storage: (any QueueStorage<Element>)?
    let clock: any QueueClock
    let state: Locked<QueueState>

    /// Creates an in-memory queue.
    package init(name: String, configuration: QueueConfiguration = QueueConfiguration()) {
        self.name = name
        self.configuration = configuration
        self.storage = nil
        self.clock = configuration.clock
        self.state = Locked(QueueState(configuration: configuration, now: Tick(configuration.clock.now)))
    }

    private init(name: String, configuration: QueueConfiguration, storage: any QueueStorage<Element>) {
        self.name = name
        self.configuration = configuration
        self.storage = storage
        self.clock = configuration.clock
        self.state = Locked(QueueState(configuration: configuration, now: Tick(configuration.clock.now)))
    }

    /// Opens a queue on `storage`, restoring what it kept: pending events are delivered again
    /// (with their attempt counts), dead letters are kept, the dedup window is refilled. A
    /// delivery that a crash cut off is not an attempt: the event is delivered again with the
    /// same attempt number, unless crashes cut off ``RetryPolicy/maxCrashes`` of its deliveries,
    /// and then it goes to the dead letters with that reason.
    /// - Throws: ``QueueError/storage(_:)`` when the storage cannot be read or repaired.
    package static func open(
        name: String,
        configuration: QueueConfiguration = QueueConfiguration(),
        storage: any QueueStorage<Element>
    ) async throws -> WorkQueue<Element> {
        let queue = WorkQueue(name: name, configuration: configuration, storage: storage)
        let recovered: RecoveredState<Element>
        do {
            recovered = try await storage.recover()
        } catch {
            throw QueueError.storage(StoreFailure(error))
        }
        let now = Tick(queue.clock.now)
        let maxCrashes = configuration.retry.maxCrashes
        var report = storage.recoveryReport ?? RecoveryReport()
        var buried: [(EventID, String)] = []
        var effects = QueueEffects()
        queue.state.withLock { state in
            for id in recovered.recentIDs { _ = state.dedup?.insert(id, now: now) }
            for letter in recovered.deadLetters {
                let entry = QueueEntry(
                    element: Self.box(letter.event.element),
                    id: letter.event.id,
                    priority: letter.event.priority,
                    attempts: letter.event.attempts,
                    enqueuedAt: now
                )
                state.bury(entry, reason: letter.reason, now: now, effects: &effects)
                state.deadLettered -= 1
            }
            for event in recovered.pending {
                let entry = QueueEntry(
                    element: Self.box(event.element),
                    id: event.id,
                    priority: event.priority,
                    attempts: event.attempts,
                    enqueuedAt: now
                )
                if state.tracked && event.crashes >= maxCrashes {
                    let reason =
                        "its delivery was cut off by a crash \(event.crashes) times (maxCrashes \(maxCrashes)): "
                        + "the handler never finished"
                    state.bury(entry, reason: reason, now: now, effects: &effects)
                    buried.append((event.id, reason))
                    continue
                }
                state.insert(entry, notBefore: queue.tick(from: event.notBefore), now: now, effects: &effects)
                state.enqueued += 1
            }
            report.pending = recovered.pending.count - buried.count
            report.interrupted = recovered.pending.count { $0.crashes > 0 && $0.crashes < maxCrashes }
            report.deadLetters = state.deadLetters.count
            report.deadLetteredAfterCrashes = buried.map(\.0)
            state.recovery = report
        }
        queue.perform(effects)
        do {
            for (id, reason) in buried {
                try await storage.deadLetter(id, reason: reason)
            }
        } catch {
            queue.terminate(releasingInFlight: false)
            throw QueueError.storage(StoreFailure(error))
        }
        return queue
    }

    /// What the storage found and repaired when the queue opened on it (nil without storage).
    package var recoveryReport: RecoveryReport? { state.withLock { $0.recovery } }

    // MARK: Producing

    /// Adds an event, applying the overflow policy when the queue is full.
    ///
    /// With ``OverflowPolicy/suspendPublisher`` this waits for room (cancellation ends the wait
    /// with ``QueueError/cancelled`` and the event is not accepted). With storage it returns only
    /// after the storage has stored the event.
    ///
    /// - Parameters:
    ///   - element: the event.
    ///   - id: its identifier (dedup and acknowledgement use it).
    ///   - priority: its lane.
    ///   - notBefore: the earliest delivery time on the queue's clock (nil: at once).
    /// - Returns: what happened to it (dropped events are reported here and counted in metrics).
    /// - Throws: ``QueueError``.
    @discardableResult
    @usableFromInline package func enqueue(
        _ element: Element,
        id: EventID,
        priority: Priority = .normal,
        notBefore: ContinuousClock.Instant? = nil
    ) async throws -> EnqueueOutcome {
        let boxed = Self.box(element)
        let admission = admitNow(boxed, id: id, priority: priority, notBefore: notBefore, mayWait: true)
        switch admission {
        case .done(let outcome):
            return outcome
        case .failed(let error):
            throw error
        case .reserved(let outcome):
            try await commit(boxed, id: id, priority: priority, notBefore: notBefore)
            return outcome
        case .wait(let waiterID):
            guard try await waitForRoom(waiterID: waiterID, eventID: id) else {
                return .duplicate
            }
            try await commit(boxed, id: id, priority: priority, notBefore: notBefore)
            return .enqueued
        }
    }

    /// Adds an event without ever waiting: a full queue with ``OverflowPolicy/suspendPublisher``
    /// throws ``QueueError/full(capacity:)``. Only for queues without storage.
    @discardableResult
    package func tryEnqueue(
        _ element: Element,
        id: EventID,
        priority: Priority = .normal,
        notBefore: ContinuousClock.Instant? = nil
    ) throws(QueueError) -> EnqueueOutcome {
        try tryEnqueue(boxed: Self.box(element), id: id, priority: priority, notBefore: notBefore)
    }

    /// ``tryEnqueue(_:id:priority:notBefore:)`` for an element already boxed (``box(_:)``), so
    /// that one box can be shared by every queue an event fans out to.
    /// - Precondition: `element` is an `ElementBox<Element>`.
    @usableFromInline
    package func tryEnqueue(
        boxed element: any BoxedElement,
        id: EventID,
        priority: Priority,
        notBefore: ContinuousClock.Instant? = nil
    ) throws(QueueError) -> EnqueueOutcome {
        assert(element is ElementBox<Element>, "tryEnqueue(boxed:) takes a boxed \(Element.self)")
        precondition(storage == nil, "tryEnqueue is only for queues without storage")
        switch admitNow(element, id: id, priority: priority, notBefore: notBefore, mayWait: false) {
        case .done(let outcome): return outcome
        case .failed(let error): throw error
        case .reserved, .wait: preconditionFailure("a queue without storage never reserves or waits here")
        }
    }

    /// Admits under the lock and performs the resulting wake-ups. Without `mayWait`, a full
    /// queue with ``OverflowPolicy/suspendPublisher`` refuses instead of queueing a waiter.
    private func admitNow(
        _ element: any BoxedElement,
        id: EventID,
        priority: Priority,
        notBefore: ContinuousClock.Instant?,
        mayWait: Bool
    ) -> Admission {
        let now = Tick(clock.now)
        let notBefore = notBefore.map(Tick.init)
        let overflow = configuration.capacity.overflow
        let reserve = storage != nil
        var effects = QueueEffects()
        let admission = state.withLock { state in
            state.admit(
                element,
                id: id,
                priority: priority,
                notBefore: notBefore,
                now: now,
                mayWait: mayWait,
                overflow: overflow,
                reserve: reserve,
                effects: &effects
            )
        }
        if !effects.isEmpty { perform(effects) }
        return admission
    }

    /// Waits until a reservation is granted. True: reserved; false: the id turned out to be a duplicate.
    private func waitForRoom(waiterID: UInt64, eventID: EventID) async throws -> Bool {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
                var effects = QueueEffects()
                state.withLock { state in
                    if state.closed {
                        effects.producers.append((continuation, .failure(.closed)))
                    } else if Task.isCancelled {
                        effects.producers.append((continuation, .failure(.cancelled)))
                    } else {
                        state.producers.append(
                            ProducerWaiter(
                                id: waiterID,
                                eventID: eventID,
                                continuation: continuation
                            )
                        )
                        state.grantProducers(&effects)
                    }
                }
                perform(effects)
            }
        } onCancel: {
            let waiter: ProducerWaiter? = state.withLock { state in
                state.producers.removeAll { $0.id == waiterID }.first
            }
            waiter?.continuation.resume(throwing: QueueError.cancelled)
        }
    }

    /// Stores (when there is storage) and publishes a reserved event.
    private func commit(
        _ boxed: any BoxedElement,
        id: EventID,
        priority: Priority,
        notBefore: ContinuousClock.Instant?
    )
        async throws
    {
        let item = PendingItem(element: boxed, id: id, priority: priority)
        if let error = await commit([item], notBefore: notBefore) { throw error }
    }

    /// Stores (when there is storage) and publishes reserved events, in order: with storage, as one
    /// group, all or none. Returns the error that refused them all, after releasing their room.
    private func commit(_ items: [PendingItem], notBefore: ContinuousClock.Instant?) async -> QueueError? {
        guard !items.isEmpty else { return nil }
        if let storage {
            do {
                // The store reads the events one at a time: no typed copy of the batch.
                try await storage.append(StoredBatch(items: items, notBefore: wallClock(from: notBefore)))
            } catch {
                var effects = QueueEffects()
                state.withLock { state in
                    state.reserved -= items.count
                    if state.dedup != nil { for item in items { state.dedup?.forget(item.id) } }
                    state.grantProducers(&effects)
                    state.checkDrained(&effects)
                }
                perform(effects)
                return .storage(StoreFailure(error))
            }
        }
        let now = Tick(clock.now)
        let due = notBefore.map(Tick.init)
        var effects = QueueEffects()
        state.withLock { state in
            state.reserved -= items.count
            // A terminated queue with storage keeps the stored events for the next open; without
            // storage the reservation could not have been made after termination.
            if state.terminated {
                state.checkDrained(&effects)
                return
            }
            state.enqueued += UInt64(items.count)
            state.arrivals.record(UInt64(items.count), now: now)
            for item in items {
                state.insert(
                    QueueEntry(
                        element: item.element,
                        id: item.id,
                        priority: item.priority,
                        attempts: 0,
                        enqueuedAt: now
                    ),
                    notBefore: due,
                    now: now,
                    effects: &effects
                )
            }
        }
        perform(effects)
        return nil
    }

    /// How many events of a batch are admitted per hold of the lock (consumers wait meanwhile).
    private static var admissionRun: Int { 256 }

    /// Admits events in order under one hold of the lock, stopping after the first that must
    /// wait for room, and performs the resulting wake-ups.
    private func admitRun(_ items: ArraySlice<PendingItem>) -> [Admission] {
        let now = Tick(clock.now)
        let overflow = configuration.capacity.overflow
        let reserve = storage != nil
        var effects = QueueEffects()
        var admissions: [Admission] = []
        admissions.reserveCapacity(items.count)
        state.withLock { state in
            for item in items {
                let admission = state.admit(
                    item.element,
                    id: item.id,
                    priority: item.priority,
                    notBefore: nil,
                    now: now,
                    mayWait: true,
                    overflow: overflow,
                    reserve: reserve,
                    effects: &effects
                )
                admissions.append(admission)
                if case .wait = admission { break }
            }
        }
        if !effects.isEmpty { perform(effects) }
        return admissions
    }

    /// Adds events in order, as ``enqueue(_:id:priority:notBefore:)`` would one by one, except that
    /// with storage the events accepted in a row are stored together: one call to
    /// ``QueueStorage/append(contentsOf:)`` (one write and one fsync for a ``FileLog``). Returns
    /// once every accepted event is stored.
    ///
    /// Each event meets the overflow policy on its own: with ``OverflowPolicy/suspendPublisher``
    /// the events before a full queue are stored first, then this waits for room.
    ///
    /// - Returns: each event's outcome, in order: an ``EnqueueOutcome``, or the ``QueueError``
    ///   that refused it (full under ``OverflowPolicy/fail``, closed, cancelled while waiting
    ///   for room, or a storage error, which refuses its whole group). Refusing one event does
    ///   not refuse the others.
    package func enqueue(
        contentsOf events: [(element: Element, id: EventID, priority: Priority)]
    ) async -> [Result<EnqueueOutcome, QueueError>] {
        var items: [PendingItem] = []
        items.reserveCapacity(events.count)
        for event in events {
            items.append(PendingItem(element: Self.box(event.element), id: event.id, priority: event.priority))
        }
        return await enqueue(boxed: items)
    }

    /// ``enqueue(contentsOf:)`` for elements already boxed (each item's element an
    /// `ElementBox<Element>`, made by ``box(_:)`` or in the caller's specialised code): the
    /// queue, its storage and the caller share the boxes.
    @usableFromInline
    package func enqueue(boxed items: [PendingItem]) async -> [Result<EnqueueOutcome, QueueError>] {
        var results: [Result<EnqueueOutcome, QueueError>] = []
        results.reserveCapacity(items.count)
        // Reserved (or granted) events not yet stored, and where their results are.
        var group: [PendingItem] = []
        var members: [Int] = []
        func commitGroup() async {
            if let error = await commit(group, notBefore: nil) {
                for index in members { results[index] = .failure(error) }
            }
            group.removeAll(keepingCapacity: true)
            members.removeAll(keepingCapacity: true)
        }
        var next = 0
        while next < items.count {
            let run = items.count - next
            let admissions = admitRun(items[next..<(next + min(run, Self.admissionRun))])
            for admission in admissions {
                let item = items[next]
                next += 1
                switch admission {
                case .done(let outcome):
                    results.append(.success(outcome))
                case .failed(let error):
                    results.append(.failure(error))
                case .reserved(let outcome):
                    members.append(results.count)
                    group.append(item)
                    results.append(.success(outcome))
                case .wait(let waiterID):
                    // Store what came before, so that the queue keeps the events' order.
                    await commitGroup()
                    do {
                        if try await waitForRoom(waiterID: waiterID, eventID: item.id) {
                            members.append(results.count)
                            group.append(item)
                            results.append(.success(.enqueued))
                            // Before the next event: without storage it could be inserted at once.
                            await commitGroup()
                        } else {
                            results.append(.success(.duplicate))
                        }
                    } catch {
                        results.append(.failure(error as? QueueError ?? .cancelled))
                    }
                }
            }
        }
        await commitGroup()
        return results
    }

    // MARK: Consuming

    /// How many events a consumer takes per hold of the queue's lock by default.
    ///
    /// Small on purpose: a take works per event under the lock (lane choice, counters, a latency
    /// sample, a lease), and a producer that finds the lock held spins briefly, then sleeps in
    /// the kernel. At 64, a busy single-subscriber mailbox made 2–10 × more context switches
    /// than at 8 and was 10–15 % slower (Documentation/Performance.md, step 23); the lock
    /// round trips that smaller takes add cost far less than the per-event work.
    @usableFromInline package static var batchSize: Int { 8 }

    /// Takes up to `maxCount` ready events, waiting while there are none.
    ///
    /// Returns nil when the queue is closed and drained, when it was terminated, or when the
    /// calling task is cancelled. With storage, the attempt numbers are stored before the
    /// leases are returned.
    package func next(maxCount: Int = WorkQueue.batchSize) async throws -> [Lease<Element>]? {
        try await nextBoxed(maxCount: maxCount)?.map(Self.typed)
    }

    /// ``next(maxCount:)`` with the elements still boxed, each holding an `Element`: a typed
    /// consumer casts one at a time instead of building a second, generic array.
    ///
    /// Returns an empty batch when ``interruptConsumers()`` was called while it waited.
    @usableFromInline
    package func nextBoxed(maxCount: Int = WorkQueue.batchSize) async throws -> [Lease<any BoxedElement>]? {
        var interruptions: UInt64?
        while true {
            let now = Tick(clock.now)
            var effects = QueueEffects()
            let result: [Lease<any BoxedElement>]? = state.withLock { state in
                if state.terminated { return nil }
                if state.ready > 0 { return state.take(max: maxCount, now: now, effects: &effects) }
                if state.closed && state.isDrained { return nil }
                return []
            }
            if !effects.isEmpty { perform(effects) }
            guard let result else { return nil }
            if !result.isEmpty {
                if let storage, state.withLock({ $0.tracked }) {
                    do {
                        try await storage.recordAttempts(result.map { ($0.id, $0.attempt) })
                    } catch {
                        // Delivered all the same, without the attempt counted on disk (a full
                        // disk must not stop consumption: acknowledging is what frees space).
                        state.withLock { $0.attemptsNotRecorded += UInt64(result.count) }
                    }
                }
                return result
            }
            if Task.isCancelled { return nil }
            let seen = state.withLock { $0.interruptions }
            if let interruptions, interruptions != seen { return [] }
            interruptions = seen
            await waitForWork()
            if Task.isCancelled { return nil }
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

    private func waitForWork() async {
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.ready > 0 || state.terminated || (state.closed && state.isDrained) || Task.isCancelled {
                        return true
                    }
                    state.consumers.append((waiterID, continuation))
                    return false
                }
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
        let now = Tick(clock.now)
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

    /// ``nack(_:reason:)`` by the lease's tag.
    package func nack(tag: UInt64, reason: String) async throws {
        guard tag != 0 else { return }
        let now = Tick(clock.now)
        var effects = QueueEffects()
        let outcome = state.withLock { $0.fail(tag: tag, reason: reason, now: now, effects: &effects) }
        perform(effects)
        guard let outcome else { throw QueueError.unknownLease(tag) }
        try await persist([outcome])
    }

    private func persist(_ outcomes: [FailureOutcome]) async throws {
        guard let storage else { return }
        do {
            for outcome in outcomes {
                switch outcome {
                case .retry(let id, let due):
                    try await storage.reschedule(id, notBefore: wallClock(from: due))
                case .deadLettered(let id, let reason):
                    try await storage.deadLetter(id, reason: reason)
                }
            }
        } catch {
            throw QueueError.storage(StoreFailure(error))
        }
    }

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

    /// Puts dead letters back in their lanes with a fresh attempt count (all of them, or those
    /// whose id is in `ids`). Requeued events may exceed the capacity: an operator asked for them.
    /// - Returns: how many were requeued.
    @discardableResult
    package func requeueDeadLetters(ids: Set<EventID>? = nil) async throws -> Int {
        let now = Tick(clock.now)
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

    private func waitUntil(includeDelayed: Bool) async {
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

    /// Reports that `count` handed-out events have been handled.
    @usableFromInline
    package func complete(_ count: Int) {
        guard count > 0 else { return }
        var effects = QueueEffects()
        state.withLock { state in
            guard state.trackCompletion else { return }
            state.outstanding = max(0, state.outstanding - count)
            state.checkDrained(&effects)
        }
        perform(effects)
    }

    /// Inserts an event regardless of capacity and without storage (hand-over between queues).
    package func forceEnqueue(_ element: Element, id: EventID, priority: Priority, attempts: Int) -> Bool {
        let now = Tick(clock.now)
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
        let now = Tick(clock.now)
        return state.withLock { state in
            QueueMetrics(
                name: name,
                depth: state.ready,
                delayed: state.delayed.count,
                inFlight: state.inFlight.count,
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
                deadLetters: state.deadLetters.count,
                deadLettersDiscarded: state.deadLettersDiscarded,
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

    // MARK: Type erasure

    /// An element as the queue core holds it: in a box of its own, one reference whatever its
    /// type (a ``QueueEntry`` stays small, and copying it is one retain).
    @inlinable
    package static func box(_ element: Element) -> any BoxedElement {
        ElementBox(element)
    }

    /// The element as the caller gave it. The state holds only elements that came in through
    /// this queue's typed API (boxed by ``box(_:)``), so the downcast cannot fail.
    @inlinable
    package static func typed(_ element: any BoxedElement) -> Element {
        unsafeDowncast(element, to: ElementBox<Element>.self).value
    }

    static func typed(_ lease: Lease<any BoxedElement>) -> Lease<Element> {
        Lease(
            element: typed(lease.element),
            id: lease.id,
            priority: lease.priority,
            attempt: lease.attempt,
            tag: lease.tag
        )
    }

    // MARK: Effects and timers

    func perform(_ effects: QueueEffects) {
        for continuation in effects.consumers { continuation.resume() }
        for (continuation, result) in effects.producers {
            continuation.resume(with: result.mapError { $0 as any Error })
        }
        for continuation in effects.drained { continuation.resume() }
        effects.cancelTimer?.cancel()
        if let deadline = effects.startTimer { startTimer(at: deadline) }
    }

    private func startTimer(at deadline: Tick) {
        let clock = self.clock
        let task = Task { [weak self] in
            do {
                try await clock.sleep(until: deadline.instant)
            } catch {
                return
            }
            await self?.fireTimers()
        }
        state.withLock { state in
            if state.armed == deadline && state.timerTask == nil {
                state.timerTask = task
            }
        }
    }

    /// Handles due delays and expired visibility timeouts now (the timer calls this; tests
    /// driving a manual clock may call it too).
    package func fireTimers() async {
        let now = Tick(clock.now)
        var effects = QueueEffects()
        let outcomes = state.withLock { state -> [FailureOutcome] in
            guard !state.terminated else { return [] }
            return state.fireTimers(now: now, effects: &effects)
        }
        perform(effects)
        try? await persist(outcomes)
    }

    private func tick(from wall: WallClockInstant?) -> Tick? {
        guard let wall else { return nil }
        let offset = wall.nanosecondsSinceEpoch - WallClockInstant.now().nanosecondsSinceEpoch
        return Tick(clock.now) + .nanoseconds(offset)
    }

    private func wallClock(from instant: ContinuousClock.Instant?) -> WallClockInstant? {
        wallClock(from: instant.map(Tick.init))
    }

    private func wallClock(from tick: Tick?) -> WallClockInstant? {
        guard let tick else { return nil }
        let offset = tick - Tick(clock.now)
        return WallClockInstant(nanosecondsSinceEpoch: WallClockInstant.now().nanosecondsSinceEpoch + offset)
    }
}
