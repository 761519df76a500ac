import EventQueue
import Foundation

/// What travels with every event: identity, time, lane, headers, correlation and attempt.
public struct EventMetadata: Sendable, Hashable {
    /// Unique per published event.
    public let id: EventID
    /// When `publish` was called.
    public let publishedAt: Date
    /// The lane the event travels in.
    public var priority: Priority
    /// Free-form string headers (tracing context, tenant, content type...).
    public var headers: [String: String]
    /// Ties related events together: by default an event published inside a handler inherits
    /// the correlation id of the event being handled (see ``Bus/publish(_:priority:headers:correlationID:id:)``).
    public var correlationID: String?
    /// 1 for the first delivery, 2 for the first retry, and so on.
    public var attempt: Int
    /// For point-to-point queues: events with the same key go to the same consumer, in order.
    public var orderingKey: String?

    /// Creates metadata.
    public init(
        id: EventID,
        publishedAt: Date = Date(),
        priority: Priority = .normal,
        headers: [String: String] = [:],
        correlationID: String? = nil,
        attempt: Int = 1,
        orderingKey: String? = nil
    ) {
        self.orderingKey = orderingKey
        self.id = id
        self.publishedAt = publishedAt
        self.priority = priority
        self.headers = headers
        self.correlationID = correlationID
        self.attempt = attempt
    }
}

/// An event with its metadata, as it sits in a mailbox.
public struct Envelope<E: Sendable>: Sendable {
    /// The event.
    public var event: E
    /// Its metadata.
    public var metadata: EventMetadata

    /// Creates an envelope.
    public init(event: E, metadata: EventMetadata) {
        self.event = event
        self.metadata = metadata
    }
}
