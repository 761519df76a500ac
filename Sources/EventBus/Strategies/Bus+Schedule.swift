import EventLog
import EventQueue
import Foundation
import Synchronization

extension Bus {
    /// Publishes `event` once `delay` has passed on the bus's clock; never before.
    ///
    /// Durable mailboxes subscribed to the event's type store it at once, with its due time, so
    /// that it survives a crash and is delivered when due (also after a restart). Everybody else
    /// receives it from the bus's in-memory scheduler when it is due; those delayed publications
    /// still waiting at shutdown are not published.
    /// - Returns: the id the event carries.
    /// - Throws: ``BusError/shutDown``; ``BusError/schedulerFull(capacity:)`` when the scheduler
    ///   holds `BusConfiguration.schedulerCapacity` events; ``BusError/notStored(_:)`` when a
    ///   durable mailbox could not store it (then it is not scheduled for anybody);
    ///   ``BusError/rejected(eventName:mailboxes:report:)`` when a full durable mailbox with
    ///   overflow policy `.fail` refused it.
    @discardableResult
    public func publish<E: Event>(
        _ event: E,
        after delay: Duration,
        priority: Priority = .normal,
        headers: [String: String] = [:]
    ) async throws -> EventID {
        try await publish(event, at: clock.now + delay, priority: priority, headers: headers)
    }

    /// Publishes `event` at `instant` on the bus's clock; never before. See
    /// ``publish(_:after:priority:headers:)``.
    @discardableResult
    public func publish<E: Event>(
        _ event: E,
        at instant: ContinuousClock.Instant,
        priority: Priority = .normal,
        headers: [String: String] = [:]
    ) async throws -> EventID {
        let route = try router.route(for: event)
        let metadata = EventMetadata(
            id: ids.next(),
            publishedAt: Date(),
            priority: priority,
            headers: headers,
            correlationID: EventContext.inheritedCorrelationID
        )
        let queue = try scheduler()
        var outcome = StoreReport.Outcome(eventID: metadata.id)
        var report = PublishReport(eventID: metadata.id)
        for entry in route.entries {
            guard let durable = entry.durable else { continue }
            let result = await durable.schedule(event, metadata, instant)
            outcome.record(result, in: durable.mailbox)
            if case .rejected(let name) = result { report.rejectedBy.append(name) }
        }
        if !outcome.failures.isEmpty {
            throw BusError.storeFailed(StoreReport(eventName: route.eventName, events: [outcome]))
        }
        if !report.rejectedBy.isEmpty {
            throw BusError.rejected(eventName: route.eventName, mailboxes: report.rejectedBy, report: report)
        }
        let publication = ScheduledPublication { [weak self] in
            _ = try? await self?.publish(event, metadata: metadata, skippingDurable: true)
        }
        do {
            try queue.tryEnqueue(publication, id: metadata.id, priority: priority, notBefore: instant)
        } catch .full(let capacity) {
            throw BusError.schedulerFull(capacity: capacity)
        } catch {
            throw BusError.shutDown
        }
        return metadata.id
    }

    /// The scheduler queue, created with its pump task on first use.
    private func scheduler() throws(BusError) -> WorkQueue<ScheduledPublication> {
        let clock = self.clock
        let capacity = configuration.schedulerCapacity
        let registry = self.registry
        let (queue, created) = try registrations.state.withLock {
            state throws(BusError) -> (WorkQueue<ScheduledPublication>, Bool) in
            if state.shutdown != nil { throw .shutDown }
            if let scheduler = state.scheduler { return (scheduler, false) }
            let queue = WorkQueue<ScheduledPublication>(
                name: registry.claimName("scheduler"),
                configuration: QueueConfiguration(capacity: .bounded(capacity, overflow: .fail), clock: clock)
            )
            queue.trackCompletion()
            state.scheduler = queue
            return (queue, true)
        }
        if created {
            let key = registry.add(queue, kind: .scheduler)
            let task = Task {
                while let batch = try? await queue.next() {
                    for lease in batch { await lease.element.publish() }
                    queue.complete(batch.count)
                }
            }
            registry.setConsumer(task, for: key)
        }
        return queue
    }
}
