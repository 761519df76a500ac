import EventLog
import EventQueue

/// A consumer the bus runs: what ``Bus/consume(_:mailbox:retry:deadLetter:dedup:codec:handler:)``
/// and ``Bus/consume(_:from:mailbox:retry:deadLetter:handler:)`` return.
///
/// It is a handle, not a sequence — the bus iterates the mailbox and calls the handler; iterate
/// ``Bus/subscribe(_:mailbox:acknowledgement:retry:deadLetter:dedup:codec:)`` instead to take
/// deliveries yourself. Dropping the handle does not stop the consumer; ``cancel()`` does.
public struct Consumer<E: Sendable>: Sendable {
    let deliveries: Deliveries<E>
    let task: Task<Void, Never>

    /// The name of the mailbox or queue it consumes, as metrics and errors give it.
    public var mailbox: String { deliveries.queue.name }

    /// The consumer's subscription.
    public var subscription: Subscription { deliveries.subscription }

    /// Stops the consumer after the delivery it is handling. An in-memory mailbox is closed; a
    /// durable mailbox goes on storing events for the next consumer.
    public func cancel() {
        deliveries.cancel()
        task.cancel()
    }

    /// Depth, counters, rates and latency of the mailbox.
    public func metrics() -> QueueMetrics {
        deliveries.metrics()
    }

    /// Events that exhausted their attempts.
    public func deadLetters() -> [DeadLetter<Envelope<E>>] {
        deliveries.deadLetters()
    }

    /// Puts dead letters back into the mailbox (all, or those with the given ids).
    /// - Throws: ``BusError/notRecorded(mailbox:cause:)`` when a durable mailbox could not record it.
    @discardableResult
    public func requeueDeadLetters(ids: Set<EventID>? = nil) async throws -> Int {
        try await deliveries.requeueDeadLetters(ids: ids)
    }

    /// What a durable mailbox found and repaired when it opened (nil in memory).
    public var recoveryReport: RecoveryReport? { deliveries.recoveryReport }
}
