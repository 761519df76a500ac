import EventQueue
import Foundation

/// What travels with every event: identity, time, lane, headers, correlation and attempt.
///
/// Compact on purpose (40 bytes): every queued event carries one. The fields most events leave
/// empty — headers, correlation id, ordering key — live together in one shared, immutable box
/// that is absent when they are all empty, so copying metadata retains nothing for most events.
public struct EventMetadata: Sendable, Hashable {
    /// Unique per published event.
    public let id: EventID
    /// When `publish` was called.
    public let publishedAt: Date
    /// Headers, correlation id and ordering key; nil when all are empty.
    private var extras: Extras?
    private var storedAttempt: Int32
    /// The lane the event travels in.
    public var priority: Priority

    /// Free-form string headers (tracing context, tenant, content type...).
    public var headers: [String: String] {
        get { extras?.headers ?? [:] }
        set { extras = Extras.make(headers: newValue, correlationID: correlationID, orderingKey: orderingKey) }
    }

    /// Ties related events together: by default an event published inside a handler inherits
    /// the correlation id of the event being handled (see ``Bus/publish(_:priority:headers:correlationID:id:)``).
    public var correlationID: String? {
        get { extras?.correlationID }
        set { extras = Extras.make(headers: headers, correlationID: newValue, orderingKey: orderingKey) }
    }

    /// 1 for the first delivery, 2 for the first retry, and so on.
    public var attempt: Int {
        get { Int(storedAttempt) }
        set { storedAttempt = Int32(clamping: newValue) }
    }

    /// For point-to-point queues: events with the same key go to the same consumer, in order.
    public var orderingKey: String? {
        get { extras?.orderingKey }
        set { extras = Extras.make(headers: headers, correlationID: correlationID, orderingKey: newValue) }
    }

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
        self.id = id
        self.publishedAt = publishedAt
        self.extras = Extras.make(headers: headers, correlationID: correlationID, orderingKey: orderingKey)
        self.storedAttempt = Int32(clamping: attempt)
        self.priority = priority
    }

    /// Equal when every field is.
    public static func == (lhs: EventMetadata, rhs: EventMetadata) -> Bool {
        lhs.id == rhs.id && lhs.publishedAt == rhs.publishedAt && lhs.priority == rhs.priority
            && lhs.storedAttempt == rhs.storedAttempt && lhs.headers == rhs.headers
            && lhs.correlationID == rhs.correlationID && lhs.orderingKey == rhs.orderingKey
    }

    /// Hashes every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(publishedAt)
        hasher.combine(priority)
        hasher.combine(storedAttempt)
        hasher.combine(headers)
        hasher.combine(correlationID)
        hasher.combine(orderingKey)
    }

    /// The rarely set fields, shared between copies; replaced, never mutated.
    final class Extras: Sendable {
        let headers: [String: String]
        let correlationID: String?
        let orderingKey: String?

        private init(headers: [String: String], correlationID: String?, orderingKey: String?) {
            self.headers = headers
            self.correlationID = correlationID
            self.orderingKey = orderingKey
        }

        /// Nil when every field is empty.
        static func make(headers: [String: String], correlationID: String?, orderingKey: String?) -> Extras? {
            if headers.isEmpty && correlationID == nil && orderingKey == nil { return nil }
            return Extras(headers: headers, correlationID: correlationID, orderingKey: orderingKey)
        }
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
