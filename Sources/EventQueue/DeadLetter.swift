import EventLog

/// What happens to an event whose last attempt failed.
public enum DeadLetterPolicy: Sendable, Hashable {
    /// Keep up to `limit` dead letters for inspection and requeue; beyond it the oldest is
    /// discarded and counted in ``QueueMetrics/deadLettersDiscarded``.
    case keep(limit: Int)
    /// Count it, then discard it.
    case discard

    /// Keep up to 10,000 dead letters.
    public static let keep = DeadLetterPolicy.keep(limit: 10_000)
}

/// An event that exhausted its attempts, kept with the reason of its last failure.
public struct DeadLetter<Element: Sendable>: Sendable {
    /// The event.
    public let element: Element
    /// Its identifier.
    public let id: EventID
    /// Its lane.
    public let priority: Priority
    /// How many deliveries were attempted.
    public let attempts: Int
    /// The last failure, as text.
    public let reason: String
    /// When it was dead-lettered, on the queue's clock.
    public let deadLetteredAt: ContinuousClock.Instant

    /// Creates a dead letter (a queue, or a store that keeps them elsewhere).
    package init(
        element: Element,
        id: EventID,
        priority: Priority,
        attempts: Int,
        reason: String,
        deadLetteredAt: ContinuousClock.Instant
    ) {
        self.element = element
        self.id = id
        self.priority = priority
        self.attempts = attempts
        self.reason = reason
        self.deadLetteredAt = deadLetteredAt
    }
}
