import EventQueue

/// One event handed to a mailbox subscriber.
public struct Delivery<E: Sendable>: Sendable {
    /// The event.
    public let event: E
    /// Its metadata; `metadata.attempt` counts deliveries of this event.
    public let metadata: EventMetadata
    let lease: Lease<Envelope<E>>
    let queue: WorkQueue<Envelope<E>>

    init(lease: Lease<Envelope<E>>, queue: WorkQueue<Envelope<E>>) {
        self.event = lease.element.event
        var metadata = lease.element.metadata
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
        self.lease = lease
        self.queue = queue
    }

    /// Marks the event handled: it is never delivered again.
    /// - Throws: ``QueueError/unknownLease(_:)`` when already settled or expired.
    public func ack() async throws {
        try await queue.ack(lease)
    }

    /// Marks the delivery failed: it is retried per the mailbox's retry policy, then dead-lettered.
    /// - Throws: ``QueueError/unknownLease(_:)`` when already settled or expired.
    public func nack(_ error: any Error) async throws {
        try await queue.nack(lease, reason: String(describing: error))
    }

    /// Marks the delivery failed with a reason.
    public func nack(reason: String) async throws {
        try await queue.nack(lease, reason: reason)
    }
}
