/// How a queue hands out events and what it does when handling fails.
package enum AcknowledgementMode: Sendable, Hashable {
    /// An event leaves the queue when it is handed to a consumer: at-most-once, the cheapest mode.
    /// Retry and dead letters do not apply.
    case none
    /// An event stays in flight until it is acknowledged or negatively acknowledged. An event
    /// not settled within `visibilityTimeout` (nil: no timeout) counts as failed and is retried.
    case explicit(visibilityTimeout: Duration?)
}
