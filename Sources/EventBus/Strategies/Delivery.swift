import EventLog
import EventQueue

/// One event handed to a mailbox subscriber.
public struct Delivery<E: Sendable>: Sendable {
    /// The event.
    public let event: E
    /// Its metadata; `metadata.attempt` counts deliveries of this event.
    public let metadata: EventMetadata
    /// The lease's tag: all that acknowledging needs.
    @usableFromInline let tag: UInt64
    @usableFromInline let queue: WorkQueue<Envelope<E>>

    /// Makes a delivery from a lease whose element is a boxed `Envelope<E>` (see `nextBoxed`).
    @inlinable
    init(boxed lease: Lease<any BoxedElement>, queue: WorkQueue<Envelope<E>>) {
        let envelope = WorkQueue<Envelope<E>>.typed(lease.element)
        self.event = envelope.event
        var metadata = envelope.metadata
        if metadata.id != lease.id {
            // Recovered from a durable mailbox: the log record carries the id and lane.
            metadata = EventMetadata(
                id: lease.id,
                publishedAt: metadata.publishedAt,
                priority: lease.priority,
                headers: metadata.headers,
                correlationID: metadata.correlationID,
                attempt: lease.attempt,
                orderingKey: metadata.orderingKey
            )
        }
        metadata.attempt = lease.attempt
        self.metadata = metadata
        self.tag = lease.tag
        self.queue = queue
    }

    /// Marks the event handled: it is never delivered again.
    /// - Throws: ``BusError/alreadySettled(mailbox:)`` when already settled or expired;
    ///   ``BusError/notRecorded(mailbox:cause:)`` when a durable mailbox could not record it
    ///   (the event is then delivered again after a restart).
    public func ack() async throws {
        try await settling { try await queue.ack(tag: tag) }
    }

    /// Marks the delivery failed: it is retried per the mailbox's retry policy, then dead-lettered.
    /// - Throws: as ``ack()``.
    public func nack(_ error: any Error) async throws {
        try await settling { try await queue.nack(tag: tag, reason: String(describing: error)) }
    }

    /// ``nack(_:)`` from a loop the bus runs, which reports the failure itself.
    func nack(reported error: any Error) async throws {
        try await settling { try await queue.nack(tag: tag, reason: String(describing: error), reported: true) }
    }

    /// Marks the delivery failed with a reason.
    /// - Throws: as ``ack()``.
    public func nack(reason: String) async throws {
        try await settling { try await queue.nack(tag: tag, reason: reason) }
    }

    private func settling(_ body: () async throws -> Void) async throws(BusError) {
        do {
            try await body()
        } catch {
            throw BusError(settling: error, mailbox: queue.name)
        }
    }
}
