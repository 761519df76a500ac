import EventLog

/// The time source a queue uses for delays, visibility timeouts and retry backoff.
///
/// Inject a manual clock (EventBusTesting's `ManualClock`) to make time-driven behaviour
/// deterministic in tests.
public protocol QueueClock: Sendable {
    /// The current instant.
    var now: ContinuousClock.Instant { get }
    /// Suspends until `deadline` has been reached; throws `CancellationError` when cancelled.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

/// The real clock: `ContinuousClock`.
public struct SystemQueueClock: QueueClock {
    /// Creates the system clock.
    public init() {}

    /// `ContinuousClock.now`.
    public var now: ContinuousClock.Instant { ContinuousClock.now }

    /// Sleeps on `ContinuousClock`.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await ContinuousClock().sleep(until: deadline, tolerance: nil)
    }
}
