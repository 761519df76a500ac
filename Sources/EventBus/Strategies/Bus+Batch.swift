import EventLog
import EventQueue
import Foundation

extension Bus {
    /// Publishes events of one type, in order, as one batch.
    ///
    /// The same as publishing each event with the same options, one after the other, except that
    /// each subscription takes the whole batch in turn, which costs less per event than single
    /// publishes for every strategy:
    /// - the route is looked up once and the clock read once (every event of the batch has the
    ///   same ``EventMetadata/publishedAt``);
    /// - every durable mailbox of the type stores the whole batch at once, with one write and one
    ///   fsync (shared with concurrent publishers under its sync policy), before anybody else
    ///   receives the first event; this returns once all of them are on disk, and when a durable
    ///   mailbox cannot store them, nobody receives any of them and this throws
    ///   ``BusError/notStored(_:)``, saying event by event where each was stored;
    /// - a mailbox or callback queue takes the run of events under one hold of its lock, and its
    ///   consumer is woken once;
    /// - an observer takes the batch in one hop to its actor, event after event;
    /// - a mailbox that refuses an event (full, with overflow policy ``OverflowPolicy/fail``) does
    ///   not stop the batch: every event is published, then ``BusError/rejectedInBatch(eventName:reports:)``
    ///   reports who refused which.
    ///
    /// Order: each subscription receives the events in publish order, and each event reaches the
    /// subscriptions in the order a single publish uses (observers by `order`, then registration;
    /// inline callbacks last). Subscriptions take the batch one after the other, so an observer
    /// may handle the third event before the next observer handles the first.
    ///
    /// Each event gets its own id and metadata. Publish middleware sees each event
    /// (`willPublish`, in order, all before the batch is delivered; then `didPublish` for each);
    /// the batch stays a batch. With middleware installed observers and inline callbacks are
    /// called event by event, each call inside the middleware's `invoke`.
    ///
    /// - Parameters:
    ///   - events: the events, in order.
    ///   - priority: their lane in every mailbox.
    ///   - headers: string headers carried in each event's metadata.
    ///   - correlationID: ties them to other events; defaults to that of the event being handled
    ///     when called from a handler.
    ///   - orderingKey: each event's ordering key, as ``publish(_:orderingKey:priority:headers:correlationID:id:)``
    ///     sets it (consumer groups hand events of one key to one claimant at a time); nil for none.
    ///   - id: each event's id, as ``publish(_:priority:headers:correlationID:id:)`` takes it
    ///     (give the same id when publishing again, so that dedup windows drop the repeat); nil
    ///     or a nil result: a fresh id.
    /// - Returns: one report per event, in order.
    /// - Throws: ``BusError/rejectedInBatch(eventName:reports:)`` after the whole batch, when full
    ///   mailboxes refused events. ``BusError/notStored(_:)`` when durable mailboxes could not
    ///   store events: its report lists every event of the batch with its id, whether it was
    ///   published, and where it was stored (retry the unpublished ones with their ids).
    ///   ``BusError/shutDown``. A publish middleware's ``EventRejected`` (which names the refused
    ///   event's id): the events before it were published, the rest were not.
    @inlinable
    @discardableResult
    public nonisolated(nonsending) func publish<E: Event>(
        contentsOf events: [E],
        priority: Priority = .normal,
        headers: [String: String] = [:],
        correlationID: String? = nil,
        orderingKey: ((E) -> String?)? = nil,
        id: ((E) -> EventID?)? = nil
    ) async throws -> [PublishReport] {
        guard let first = events.first else {
            try refuseAfterShutdown()
            return []
        }
        let route = try router.route(for: first)
        let correlation = correlationID ?? EventContext.inheritedCorrelationID
        let now = Date()
        func metadata(_ event: E) -> EventMetadata {
            EventMetadata(
                id: id?(event) ?? ids.next(),
                publishedAt: now,
                priority: priority,
                headers: headers,
                correlationID: correlation,
                attempt: 1,
                orderingKey: orderingKey?(event)
            )
        }
        if middlewares.isActive {
            return try await publishBatchThroughMiddleware(events, metadata: events.map(metadata), route: route)
        }
        // The batch as queues take it: each envelope boxed once (here, in specialised code), with
        // its id and lane; every queue of the type shares the boxes.
        var items: [PendingItem] = []
        items.reserveCapacity(events.count)
        for event in events {
            let metadata = metadata(event)
            items.append(
                PendingItem(
                    element: WorkQueue<Envelope<E>>.box(Envelope(event: event, metadata: metadata)),
                    id: metadata.id,
                    priority: priority
                )
            )
        }
        return try await publishBatch(items, route: route)
    }

    /// The batch as queues take it: each envelope boxed once (here, in specialised code), with
    /// its id and lane; every queue of the type shares the boxes.
    @inlinable
    static func items<E: Event>(_ events: some Collection<E>, _ metadata: [EventMetadata]) -> [PendingItem] {
        var items: [PendingItem] = []
        items.reserveCapacity(metadata.count)
        for (event, metadata) in zip(events, metadata) {
            items.append(
                PendingItem(
                    element: WorkQueue<Envelope<E>>.box(Envelope(event: event, metadata: metadata)),
                    id: metadata.id,
                    priority: metadata.priority
                )
            )
        }
        return items
    }

    /// Delivers a batch, subscription by subscription: durable mailboxes first (all or none),
    /// then every other entry in route order, each over the whole batch.
    @inlinable
    nonisolated(nonsending) func publishBatch<E: Event>(
        _ items: [PendingItem],
        route: Route<E>
    ) async throws -> [PublishReport] {
        var tally = BatchTally(items)
        if route.entries.isEmpty {
            for index in items.indices {
                tally.reports[index].isDead = true
                let envelope = WorkQueue<Envelope<E>>.typed(items[index].element)
                await bury(envelope.event, metadata: envelope.metadata)
            }
            return tally.reports
        }
        if route.hasDurable { try await storeBatch(items, route: route, into: &tally) }
        let wrapped = middlewares.isActive
        for entry in route.entries where entry.durable == nil {
            if let batch = entry.deliverBatch, !(wrapped && entry.strategy == .observer) {
                let results = await batch(items)
                for index in results.indices {
                    tally.add(results[index], at: index, from: entry, eventName: route.eventName)
                }
                continue
            }
            for index in items.indices {
                let result = await deliverOne(items[index].element, to: entry, route: route, wrapped: wrapped)
                tally.add(result, at: index, from: entry, eventName: route.eventName)
                if case .gone = result { break }
            }
        }
        return try await settleBatch(items, route: route, tally: tally)
    }

    /// One event of a batch to an entry that takes no batch (protocol subscriptions, `once`
    /// callbacks, inline callbacks), or to an observer or inline callback through middleware.
    @inlinable
    nonisolated(nonsending) func deliverOne<E: Event>(
        _ boxed: any BoxedElement,
        to entry: RouteEntry<E>,
        route: Route<E>,
        wrapped: Bool
    ) async -> DeliveryResult {
        if let deliverBoxed = entry.deliverBoxed,
            let result = deliverBoxed(boxed, WorkQueue<Envelope<E>>.typed(boxed).metadata)
        {
            return result
        }
        let envelope = WorkQueue<Envelope<E>>.typed(boxed)
        switch entry.strategy {
        case .observer:
            // Observers run in this task: the event being handled is bound for them.
            return await EventContext.binding.withValue(EventContext.Current(metadata: envelope.metadata)) {
                wrapped
                    ? await invokeObserver(entry, envelope.event, envelope.metadata, route.eventName)
                    : await entry.deliver(envelope.event, envelope.metadata)
            }
        case .inlineCallback where wrapped:
            return await invokeInline(entry, envelope.event, envelope.metadata, route.eventName)
        default:
            if let now = entry.deliverNow, let result = now(envelope.event, envelope.metadata) { return result }
            return await entry.deliver(envelope.event, envelope.metadata)
        }
    }

    /// Stores the batch in every durable mailbox of the route (each with one write and one
    /// fsync); throws ``BusError/notStored(_:)`` — nobody receives any event — when one could not.
    @inlinable
    nonisolated(nonsending) func storeBatch<E: Event>(
        _ items: [PendingItem],
        route: Route<E>,
        into tally: inout BatchTally
    ) async throws {
        var stored: [[DeliveryResult]] = []
        var storing: [RouteEntry<E>] = []
        var failed = false
        for entry in route.entries {
            guard let durable = entry.durable else { continue }
            let results = await durable.store(items)
            failed = failed || results.contains { if case .notStored = $0 { true } else { false } }
            stored.append(results)
            storing.append(entry)
        }
        if failed {
            // Nobody receives any event of the batch: the caller retries the batch's events.
            throw BusError.storeFailed(
                StoreReport(eventName: route.eventName, ids: items.map(\.id), entries: storing, results: stored)
            )
        }
        for (position, entry) in storing.enumerated() {
            for index in items.indices {
                tally.add(stored[position][index], at: index, from: entry, eventName: route.eventName)
            }
        }
    }

    /// What single publishes settle after delivering, for a whole batch: ended subscriptions
    /// removed (every event dead when all had ended), failures published in event order, the
    /// caller's cancellation, refusals by full mailboxes.
    @inlinable
    nonisolated(nonsending) func settleBatch<E: Event>(
        _ items: [PendingItem],
        route: Route<E>,
        tally: BatchTally
    ) async throws -> [PublishReport] {
        var reports = tally.reports
        if !tally.gone.isEmpty {
            router.remove(tally.gone)
            if tally.gone.count == route.entries.count {
                for index in items.indices {
                    reports[index].isDead = true
                    let envelope = WorkQueue<Envelope<E>>.typed(items[index].element)
                    await bury(envelope.event, metadata: envelope.metadata)
                }
            }
        }
        if tally.failed {
            for report in reports {
                for failure in report.failures { await reportFailure(failure, while: E.self) }
            }
        }
        // The caller's own cancellation passes through as itself (the others got the events).
        if tally.cancelled { throw CancellationError() }
        if tally.rejected { throw BusError.rejectedInBatch(eventName: route.eventName, reports: reports) }
        return reports
    }

    /// A batch with publish middleware installed: `willPublish` for each event in order (a
    /// rejection ends the batch there), the accepted events delivered as one batch, then
    /// `didPublish` for each event.
    @usableFromInline
    nonisolated(nonsending) func publishBatchThroughMiddleware<E: Event>(
        _ events: [E],
        metadata: [EventMetadata],
        route: Route<E>
    ) async throws -> [PublishReport] {
        let chain = middlewares.applicable(to: E.self)
        var envelopes: [PublishEnvelope] = []
        envelopes.reserveCapacity(events.count)
        var rejection: (envelope: PublishEnvelope, error: any Error)?
        for (event, metadata) in zip(events, metadata) {
            var envelope = PublishEnvelope(event: event, eventName: route.eventName, metadata: metadata)
            do {
                for middleware in chain { try middleware.willPublish(&envelope) }
            } catch {
                rejection = (envelope, error)
                break
            }
            envelopes.append(envelope)
        }
        var result: Result<[PublishReport], any Error>
        do {
            let accepted = events.prefix(envelopes.count)
            result = .success(try await publishBatch(Self.items(accepted, envelopes.map(\.metadata)), route: route))
        } catch {
            result = .failure(error)
        }
        for (index, envelope) in envelopes.enumerated() {
            let outcome: Result<PublishReport, any Error>
            switch result {
            case .success(let reports):
                outcome = .success(reports[index])
            case .failure(BusError.rejectedInBatch(let name, let reports)) where !reports[index].rejectedBy.isEmpty:
                outcome = .failure(
                    BusError.rejected(eventName: name, mailboxes: reports[index].rejectedBy, report: reports[index])
                )
            case .failure(BusError.rejectedInBatch(_, let reports)):
                outcome = .success(reports[index])
            case .failure(let error):
                outcome = .failure(error)
            }
            for middleware in chain { middleware.didPublish(envelope, result: outcome) }
        }
        guard let rejection else { return try result.get() }
        for middleware in chain { middleware.didPublish(rejection.envelope, result: .failure(rejection.error)) }
        switch result {
        case .failure(BusError.notStored(let report)), .failure(BusError.outcomeUnknown(let report)):
            // The events from the refused one on were not tried: listed as not published.
            var outcomes = report.events
            while outcomes.count < events.count {
                outcomes.append(StoreReport.Outcome(eventID: metadata[outcomes.count].id))
            }
            throw BusError.storeFailed(StoreReport(eventName: route.eventName, events: outcomes))
        case .failure(let error) where !isRejectedInBatch(error):
            throw error
        default:
            throw rejection.error
        }
    }

    /// Whether `error` is ``BusError/rejectedInBatch(eventName:reports:)``.
    @usableFromInline
    func isRejectedInBatch(_ error: any Error) -> Bool {
        if case BusError.rejectedInBatch? = error as? BusError { return true }
        return false
    }

    /// Throws ``BusError/shutDown`` once the bus is shut down.
    @usableFromInline
    func refuseAfterShutdown() throws(BusError) {
        if router.isShutDown { throw .shutDown }
    }
}
