import EventLog

/// How one consumer of a shared queue settles what it takes, when that differs from the queue's
/// own configuration: several consumers of one durable mailbox or durable point-to-point queue
/// each ask for their own visibility timeout, retry and dead-letter policy, and each delivery is
/// settled by the settings of the consumer that took it (DeliveryGuarantees.md, "Settings of a
/// shared mailbox").
@usableFromInline
package struct ConsumerSettings: Sendable, Hashable {
    /// A delivery not settled within it counts as a failed attempt (nil: no timeout).
    package var visibilityTimeout: Duration?
    /// Attempts and backoff for a failed delivery.
    package var retry: RetryPolicy
    /// What happens after its last failed attempt.
    package var deadLetter: DeadLetterPolicy

    /// Creates settings.
    package init(visibilityTimeout: Duration?, retry: RetryPolicy, deadLetter: DeadLetterPolicy) {
        self.visibilityTimeout = visibilityTimeout
        self.retry = retry
        self.deadLetter = deadLetter
    }
}
