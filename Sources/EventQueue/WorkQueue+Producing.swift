import EventLog
import Synchronization

extension WorkQueue {
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
        if let storage, storage.isShared {
            return try await enqueueShared(element, id: id, priority: priority, notBefore: notBefore, in: storage)
        }
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
    func admitNow(
        _ element: any BoxedElement,
        id: EventID,
        priority: Priority,
        notBefore: ContinuousClock.Instant?,
        mayWait: Bool
    ) -> Admission {
        let now = self.now()
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
    func waitForRoom(waiterID: UInt64, eventID: EventID) async throws -> Bool {
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
    func commit(
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
    func commit(_ items: [PendingItem], notBefore: ContinuousClock.Instant?) async -> QueueError? {
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
        let now = self.now()
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
    static var admissionRun: Int { 256 }

    /// Admits events in order under one hold of the lock, stopping after the first that must
    /// wait for room, and performs the resulting wake-ups.
    func admitRun(_ items: ArraySlice<PendingItem>) -> [Admission] {
        let now = self.now()
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
}
