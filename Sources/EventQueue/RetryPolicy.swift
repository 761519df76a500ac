import EventLog
import Foundation

/// How often, and after how long, a failed delivery is tried again.
///
/// `maxAttempts` counts every delivery, the first included: `maxAttempts: 3` means one
/// delivery and at most two retries. After the last failed attempt the event goes to the
/// dead letters (see ``DeadLetterPolicy``).
///
/// Only a failure counts as an attempt: a handler that threw, a nack, a visibility timeout
/// that ran out. A delivery cut short by a clean shutdown counts as nothing, and one cut off
/// by a crash (the process died while the handler ran) counts as a *crash*: a durable mailbox
/// redelivers it with the same attempt number, and dead-letters an event only after
/// ``maxCrashes`` crashes in a row, with a reason that says so.
public struct RetryPolicy: Sendable, Hashable {
    /// The shape of the delay between attempts.
    public enum Backoff: Sendable, Hashable {
        /// Retry at once.
        case immediate
        /// The same delay before every retry.
        case fixed(Duration)
        /// `initial × multiplier^(attempt-1)`, capped at `maxDelay`, spread by ±`jitter` (a fraction, 0...1).
        case exponential(initial: Duration, multiplier: Double, maxDelay: Duration, jitter: Double)
    }

    /// Total deliveries allowed, the first included (at least 1).
    public var maxAttempts: Int
    /// The delay between attempts.
    public var backoff: Backoff
    /// Deliveries of one event cut off by a crash before a durable mailbox dead-letters it
    /// (at least 1; default ``defaultMaxCrashes``): an event that kills its consumer every time
    /// must not stop the mailbox forever.
    public var maxCrashes: Int

    /// Three crashes: a delivery interrupted by one unrelated crash is redelivered twice more.
    public static let defaultMaxCrashes = 3

    /// Creates a policy.
    public init(maxAttempts: Int, backoff: Backoff, maxCrashes: Int = RetryPolicy.defaultMaxCrashes) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.maxCrashes = max(1, maxCrashes)
    }

    /// One attempt; a failure goes straight to the dead letters.
    public static let none = RetryPolicy(maxAttempts: 1, backoff: .immediate)

    /// Up to `maxAttempts` deliveries, retried at once.
    public static func immediate(maxAttempts: Int) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, backoff: .immediate)
    }

    /// Up to `maxAttempts` deliveries, `delay` apart.
    public static func fixed(maxAttempts: Int, delay: Duration) -> RetryPolicy {
        RetryPolicy(maxAttempts: maxAttempts, backoff: .fixed(delay))
    }

    /// Up to `maxAttempts` deliveries with exponential backoff and jitter.
    public static func exponential(
        maxAttempts: Int,
        initial: Duration,
        multiplier: Double = 2,
        maxDelay: Duration = .seconds(30),
        jitter: Double = 0.2
    ) -> RetryPolicy {
        RetryPolicy(
            maxAttempts: maxAttempts,
            backoff: .exponential(
                initial: initial,
                multiplier: max(1, multiplier),
                maxDelay: maxDelay,
                jitter: min(1, max(0, jitter))
            )
        )
    }

    /// The delay before the delivery that follows failed attempt number `attempt` (1-based).
    /// `unit` is a random number in 0..<1 that spreads the jitter.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Duration {
        switch backoff {
        case .immediate:
            return .zero
        case .fixed(let delay):
            return delay
        case .exponential(let initial, let multiplier, let maxDelay, let jitter):
            let base = Double(nanoseconds(initial)) * pow(multiplier, Double(max(0, attempt - 1)))
            let capped = min(base, Double(nanoseconds(maxDelay)))
            let spread = capped * jitter * (unit * 2 - 1)
            return .nanoseconds(Int64(max(0, min(capped + spread, Double(nanoseconds(maxDelay))))))
        }
    }
}
