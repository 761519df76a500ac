import EventLog
import EventQueue

/// What a publish did: who got the event and who failed.
public struct PublishReport: Sendable {
    /// The published event's id.
    public let eventID: EventID
    /// Observers that handled the event without throwing.
    public var observed: Int = 0
    /// Inline callbacks (``Bus/on(_:name:inline:handler:)``) that handled the event without throwing.
    public var handledInline: Int = 0
    /// Mailboxes and callback queues the event was enqueued to.
    public var enqueued: Int = 0
    /// Mailboxes whose overflow policy dropped an event (this one or an older one).
    public var dropped: Int = 0
    /// Mailboxes whose dedup window already held this event id.
    public var duplicates: Int = 0
    /// Observers that threw, with their errors.
    public var failures: [HandlerFailure] = []
    /// True when nobody subscribed to the event (a ``DeadEvent`` was published instead).
    public var isDead: Bool = false
    /// Mailboxes that refused the event: full, with overflow policy ``OverflowPolicy/fail``.
    /// A publish with refusals throws ``BusError/rejected(eventName:mailboxes:report:)`` (or, for
    /// a batch, ``BusError/rejectedInBatch(eventName:reports:)``) carrying this report.
    public var rejectedBy: [String] = []

    /// Creates an empty report.
    public init(eventID: EventID) {
        self.eventID = eventID
    }

    /// Every subscriber took the event and no observer threw.
    public var succeeded: Bool { failures.isEmpty && !isDead && rejectedBy.isEmpty }
}

/// A handler that threw, as reported by ``PublishReport/failures`` and published as an event.
///
/// Subscribe to `HandlerFailure` (with any strategy) to observe every handler error on the bus.
/// A failure of a `HandlerFailure` handler is counted but not published again.
public struct HandlerFailure: Event, CustomStringConvertible {
    /// Stable name.
    public static var eventName: String { "eventbus.handler-failure" }
    /// The subscription whose handler threw.
    public let subscriptionID: UInt64
    /// The strategy of that subscription.
    public let strategy: Strategy
    /// The name of the event type being handled.
    public let eventName: String
    /// The id of the event being handled.
    public let eventID: EventID
    /// The error.
    public let error: any Error
    /// Which delivery of the event failed (1 for the first).
    public let attempt: Int
    /// Whether the failure sent the event to the dead letters (its last attempt).
    public let deadLettered: Bool
    /// The name of the mailbox or queue the event came from (``QueueMetrics/name``); nil for an
    /// observer, which takes events from no queue.
    public let mailbox: String?

    /// Creates a failure record.
    public init(
        subscriptionID: UInt64,
        strategy: Strategy,
        eventName: String,
        eventID: EventID,
        error: any Error,
        attempt: Int = 1,
        deadLettered: Bool = false,
        mailbox: String? = nil
    ) {
        self.mailbox = mailbox
        self.subscriptionID = subscriptionID
        self.strategy = strategy
        self.eventName = eventName
        self.eventID = eventID
        self.error = error
        self.attempt = attempt
        self.deadLettered = deadLettered
    }

    /// "observer #3 failed on MyApp.OrderPlaced <id>: <error>".
    public var description: String {
        "\(strategy) #\(subscriptionID) failed on \(eventName) \(eventID): \(error)"
    }
}

/// An event that nobody subscribed to, republished so that it is never lost silently.
public struct DeadEvent: Event {
    /// Stable name.
    public static var eventName: String { "eventbus.dead-event" }
    /// The event nobody handled.
    public let event: any Event
    /// Its metadata.
    public let metadata: EventMetadata

    /// Creates a dead event.
    public init(event: any Event, metadata: EventMetadata) {
        self.event = event
        self.metadata = metadata
    }
}

/// How a subscription receives events.
public enum Strategy: String, Sendable, Hashable, CustomStringConvertible {
    /// An ``EventHandler`` actor; the publisher awaits it.
    case observer
    /// A closure run from its own queue, isolated to the actor it was registered from.
    case callback
    /// A synchronous closure run by the publisher, after the observers, before `publish` returns
    /// (``Bus/on(_:name:inline:handler:)``).
    case inlineCallback
    /// A mailbox the subscriber iterates at its own pace.
    case mailbox
    /// One of the competing consumers of a named queue.
    case pointToPoint
    /// The responder of a request type.
    case requestReply
    /// The other instances of the bus, for an event type declared for broadcast
    /// (``Bus/declareBroadcast(_:codec:)``).
    case broadcast

    /// The raw name.
    public var description: String { rawValue }
}
