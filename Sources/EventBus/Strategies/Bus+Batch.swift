import EventLog
import EventQueue
import Foundation

extension Bus {
    /// Publishes events of one type, in order, as one batch.
    ///
    /// The same as publishing each event with the same options, one after the other, except:
    /// - every durable mailbox of the type stores the whole batch at once, with one write and one
    ///   fsync (shared with concurrent publishers under its sync policy), before anybody else
    ///   receives the first event; this returns once all of them are on disk, and when a durable
    ///   mailbox cannot store them, nobody receives any of them and this throws
    ///   ``BusError/notStored(_:)``, saying event by event where each was stored;
    /// - the route is looked up once;
    /// - a mailbox that refuses an event (full, with overflow policy ``OverflowPolicy/fail``) does
    ///   not stop the batch: every event is published, then ``BusError/rejectedInBatch(eventName:reports:)``
    ///   reports who refused which.
    ///
    /// Each event gets its own id and metadata. With publish middleware installed, the
    /// middleware sees each event, and durable mailboxes store them one by one.
    ///
    /// - Returns: one report per event, in order.
    /// - Throws: ``BusError/rejectedInBatch(eventName:reports:)`` after the whole batch, when full
    ///   mailboxes refused events. ``BusError/notStored(_:)`` when durable mailboxes could not
    ///   store events: its report lists every event of the batch with its id, whether it was
    ///   published, and where it was stored (retry the unpublished ones with their ids). Any
    ///   other error stops the batch where it happens, as it would stop a loop of single
    ///   publishes: ``BusError/shutDown``, or a publish middleware's ``EventRejected`` (which
    ///   names the refused event's id). The events before it were published and stay
    ///   published; the rest were not.
    @inlinable
    @discardableResult
    public nonisolated(nonsending) func publish<E: Event>(
        contentsOf events: [E],
        priority: Priority = .normal,
        headers: [String: String] = [:],
        correlationID: String? = nil
    ) async throws -> [PublishReport] {
        guard let first = events.first else {
            try refuseAfterShutdown()
            return []
        }
        let route = try router.route(for: first)
        let correlation = correlationID ?? EventContext.inheritedCorrelationID
        var reports: [PublishReport] = []
        reports.reserveCapacity(events.count)
        func metadata() -> EventMetadata {
            EventMetadata(
                id: ids.next(),
                publishedAt: Date(),
                priority: priority,
                headers: headers,
                correlationID: correlation
            )
        }
        if middlewares.isActive || !route.hasDurable {
            for event in events {
                do {
                    reports.append(try await publishRefusable(event, metadata: metadata()))
                } catch BusError.notStored(let report) {
                    // The events before this one were published; the ones after it were not tried.
                    var outcomes = reports.map { report in
                        var outcome = StoreReport.Outcome(eventID: report.eventID)
                        outcome.published = true
                        return outcome
                    }
                    outcomes += report.events
                    while outcomes.count < events.count { outcomes.append(StoreReport.Outcome(eventID: ids.next())) }
                    throw BusError.notStored(StoreReport(eventName: route.eventName, events: outcomes))
                }
            }
        } else {
            // The events as durable queues take them: the envelope boxed (here, in specialised
            // code), id and lane; every durable mailbox of the type shares the boxes.
            var items: [PendingItem] = []
            items.reserveCapacity(events.count)
            for event in events {
                let metadata = metadata()
                items.append(
                    PendingItem(
                        element: ElementBox(Envelope(event: event, metadata: metadata)),
                        id: metadata.id,
                        priority: priority
                    )
                )
            }
            // Durable mailboxes first, each with the whole batch; then everyone else, event by event.
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
                throw BusError.notStored(
                    StoreReport(eventName: route.eventName, ids: items.map(\.id), entries: storing, results: stored)
                )
            }
            for index in items.indices {
                let eventID = items[index].id
                var tally = Tally(eventID: eventID)
                for position in storing.indices {
                    tally.add(
                        stored[position][index],
                        from: storing[position],
                        eventName: route.eventName,
                        eventID: eventID
                    )
                }
                if storing.count == route.entries.count && tally.isClean {
                    // Only durable mailboxes, and each took the event: nothing more to deliver or settle.
                    reports.append(tally.report)
                } else {
                    let envelope = WorkQueue<Envelope<E>>.typed(items[index].element)
                    reports.append(try await deliverRefusable(envelope, route: route, tally: tally))
                }
            }
        }
        if reports.contains(where: { !$0.rejectedBy.isEmpty }) {
            throw BusError.rejectedInBatch(eventName: route.eventName, reports: reports)
        }
        return reports
    }

    /// Throws ``BusError/shutDown`` once the bus is shut down.
    @usableFromInline
    func refuseAfterShutdown() throws(BusError) {
        if router.isShutDown { throw .shutDown }
    }

    /// Publishes one event of a batch; a refusal by a full mailbox is returned in the report,
    /// not thrown, so that the batch goes on.
    @usableFromInline
    nonisolated(nonsending) func publishRefusable<E: Event>(
        _ event: E,
        metadata: EventMetadata
    ) async throws -> PublishReport {
        do {
            return try await publish(event, metadata: metadata)
        } catch BusError.rejected(_, _, let report) {
            return report
        }
    }

    /// Delivers one event of a batch to the entries that are not durable mailboxes (they stored
    /// it already); a refusal by a full mailbox is returned in the report, not thrown.
    @usableFromInline
    nonisolated(nonsending) func deliverRefusable<E: Event>(
        _ envelope: Envelope<E>,
        route: Route<E>,
        tally: Tally
    ) async throws -> PublishReport {
        let (event, metadata) = (envelope.event, envelope.metadata)
        do {
            // As in `dispatch`: observers run in this task, so the event being handled is bound for them.
            guard route.hasObservers else {
                return try await deliver(event, metadata: metadata, route: route, from: 0, tally: tally, true)
            }
            return try await EventContext.$current.withValue(EventContext.Current(metadata: metadata)) {
                try await deliver(event, metadata: metadata, route: route, from: 0, tally: tally, true)
            }
        } catch BusError.rejected(_, _, let report) {
            return report
        }
    }
}
