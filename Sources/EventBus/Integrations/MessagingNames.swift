/// The names the server integrations report under — OpenTelemetry's messaging names where they
/// exist, `eventbus.*` otherwise — and the one function that names a queue for them.
enum MessagingNames {
    /// `messaging.system`.
    static let system = "eventbus"

    // Log metadata keys.
    static let eventID = "eventbus.event.id"
    static let eventName = "eventbus.event.name"
    static let mailbox = "eventbus.mailbox"
    static let attempt = "eventbus.attempt"

    // Metric and span dimensions.
    static let destinationKey = "messaging.destination.name"
    static let systemKey = "messaging.system"
    static let errorTypeKey = "error.type"
    static let overflowPolicyKey = "eventbus.overflow.policy"

    // Metrics, one set per mailbox or queue.
    static let sent = "messaging.client.sent.messages"
    static let consumed = "messaging.client.consumed.messages"
    static let processDuration = "messaging.process.duration"
    static let waitDuration = "eventbus.queue.wait.duration"
    static let retries = "eventbus.retries"
    static let deadLetters = "eventbus.dead_letters"
    static let dropped = "eventbus.dropped"
    static let depth = "eventbus.queue.depth"
    static let inFlight = "eventbus.queue.in_flight"
    static let drainSeconds = "eventbus.queue.drain.seconds"

    /// The name a mailbox, callback queue or point-to-point queue is reported under in metrics,
    /// logs and spans (`messaging.destination.name`, `eventbus.mailbox`): the queue's own name,
    /// as ``QueueMetrics/name`` gives it. The one place to change if queues are named otherwise.
    static func destination(_ queueName: String) -> String {
        queueName
    }

    /// The `error.type` of an error: its type's name.
    static func errorType(_ error: any Error) -> String {
        String(describing: type(of: error))
    }
}
