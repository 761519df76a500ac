import EventQueue
import Foundation
import Synchronization

extension Bus {
    /// Publishes `event` once `delay` has passed on the bus's clock; never before.
    ///
    /// The event is held by the bus's scheduler (in memory) and published like any other event
    /// when due. Delayed events still waiting at shutdown are not published.
    /// - Returns: the id the event will carry.
    /// - Throws: ``BusError/shutDown``; ``BusError/queue(_:)`` with ``QueueError/full(capacity:)``
    ///   when the scheduler holds `BusConfiguration.schedulerCapacity` events.
    @discardableResult
    public func publish<E: Event>(
        _ event: E,
        after delay: Duration,
        priority: Priority = .normal,
        headers: [String: String] = [:]
    ) throws -> EventID {
        try publish(event, at: clock.now + delay, priority: priority, headers: headers)
    }

    /// Publishes `event` at `instant` on the bus's clock; never before.
    @discardableResult
    public func publish<E: Event>(
        _ event: E,
        at instant: ContinuousClock.Instant,
        priority: Priority = .normal,
        headers: [String: String] = [:]
    ) throws -> EventID {
        if router.isShutDown { throw BusError.shutDown }
        let metadata = EventMetadata(
            id: ids.next(),
            publishedAt: Date(),
            priority: priority,
            headers: headers,
            correlationID: EventContext.inheritedCorrelationID
        )
        let publication = ScheduledPublication { [weak self] in
            _ = try? await self?.publish(event, metadata: metadata)
        }
        let queue = try scheduler()
        do {
            try queue.tryEnqueue(publication, id: metadata.id, priority: priority, notBefore: instant)
        } catch {
            throw BusError.queue(error)
        }
        return metadata.id
    }

    /// The scheduler queue, created with its pump task on first use.
    private func scheduler() throws(BusError) -> WorkQueue<ScheduledPublication> {
        let clock = self.clock
        let capacity = configuration.schedulerCapacity
        let (queue, created) = try services.state.withLock {
            state throws(BusError) -> (WorkQueue<ScheduledPublication>, Bool) in
            if state.shutdown != nil { throw .shutDown }
            if let scheduler = state.scheduler { return (scheduler, false) }
            let queue = WorkQueue<ScheduledPublication>(
                name: "scheduler",
                configuration: QueueConfiguration(capacity: .bounded(capacity, overflow: .fail), clock: clock)
            )
            queue.trackCompletion()
            state.scheduler = queue
            return (queue, true)
        }
        if created {
            let key = registry.add(queue, strategy: .callback)
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
