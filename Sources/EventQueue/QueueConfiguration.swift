import EventLog

/// The settings of a ``WorkQueue``.
@usableFromInline
package struct QueueConfiguration: Sendable {
    /// The bound and what happens beyond it.
    @usableFromInline package var capacity: Capacity
    /// Whether deliveries must be acknowledged.
    package var acknowledgement: AcknowledgementMode
    /// Attempts and backoff for failed deliveries (with explicit acknowledgement).
    package var retry: RetryPolicy
    /// What happens after the last failed attempt.
    package var deadLetter: DeadLetterPolicy
    /// Drop a second event with an id seen within this window (nil: no dedup).
    package var dedup: DedupWindow?
    /// The time source for delays, timeouts and backoff.
    package var clock: any QueueClock

    /// Creates a configuration; every argument has the default a production mailbox wants.
    package init(
        capacity: Capacity = .default,
        acknowledgement: AcknowledgementMode = .none,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        dedup: DedupWindow? = nil,
        clock: any QueueClock = SystemQueueClock()
    ) {
        self.capacity = capacity
        self.acknowledgement = acknowledgement
        self.retry = retry
        self.deadLetter = deadLetter
        self.dedup = dedup
        self.clock = clock
    }
}
