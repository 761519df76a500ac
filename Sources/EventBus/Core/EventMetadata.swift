import EventLog
import EventQueue
import Foundation

/// What travels with every event: identity, time, lane, headers, correlation and attempt.
///
/// Compact on purpose (32 bytes): every queued event carries one. The fields most events leave
/// at their defaults — headers, correlation id, ordering key, a lane other than `.normal`, an
/// attempt after the first — live together in one shared, immutable box that is absent when
/// all are defaults (and shared by every event when only the lane differs), so copying metadata
/// retains nothing for most events.
public struct EventMetadata: Sendable, Hashable {
    /// Unique per published event.
    public let id: EventID
    /// When `publish` was called.
    public let publishedAt: Date
    /// The fields other than the id and time; nil when all are defaults.
    private var extras: Extras?

    /// The lane the event travels in.
    public var priority: Priority {
        get { extras?.fields.priority ?? .normal }
        set { update(\.priority, to: newValue) }
    }

    /// Free-form string headers (tracing context, tenant, content type...).
    public var headers: [String: String] {
        get { extras?.fields.headers ?? [:] }
        set { update(\.headers, to: newValue) }
    }

    /// Ties related events together: by default an event published inside a handler inherits
    /// the correlation id of the event being handled (see ``Bus/publish(_:priority:headers:correlationID:id:)``).
    public var correlationID: String? {
        get { extras?.fields.correlationID }
        set { update(\.correlationID, to: newValue) }
    }

    /// 1 for the first delivery, 2 for the first retry, and so on.
    public var attempt: Int {
        get { extras?.fields.attempt ?? 1 }
        set {
            // Every delivery sets it, almost always to what it already is.
            guard newValue != attempt else { return }
            update(\.attempt, to: newValue)
        }
    }

    /// For point-to-point queues: events with the same key go to the same consumer, in order.
    public var orderingKey: String? {
        get { extras?.fields.orderingKey }
        set { update(\.orderingKey, to: newValue) }
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
        self.extras = Extras.make(
            Fields(
                headers: headers,
                correlationID: correlationID,
                orderingKey: orderingKey,
                priority: priority,
                attempt: attempt
            )
        )
    }

    /// Equal when every field is.
    public static func == (lhs: EventMetadata, rhs: EventMetadata) -> Bool {
        lhs.id == rhs.id && lhs.publishedAt == rhs.publishedAt
            && (lhs.extras === rhs.extras || lhs.fields == rhs.fields)
    }

    /// Hashes every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(publishedAt)
        hasher.combine(fields)
    }

    private var fields: Fields { extras?.fields ?? Fields() }

    /// Replaces the box with one whose field at `path` is `value` (nothing to do when it already is).
    private mutating func update<Value: Equatable>(_ path: WritableKeyPath<Fields, Value>, to value: Value) {
        var changed = fields
        guard changed[keyPath: path] != value else { return }
        changed[keyPath: path] = value
        extras = Extras.make(changed)
    }

    /// The fields kept out of line, with their defaults.
    struct Fields: Hashable, Sendable {
        var headers: [String: String] = [:]
        var correlationID: String?
        var orderingKey: String?
        var priority: Priority = .normal
        var attempt: Int = 1

        var isDefault: Bool {
            headers.isEmpty && correlationID == nil && orderingKey == nil && priority == .normal && attempt == 1
        }
    }

    /// The out-of-line fields, shared between copies; replaced, never mutated.
    final class Extras: Sendable {
        let fields: Fields

        private init(_ fields: Fields) {
            self.fields = fields
        }

        /// Events that differ from the defaults only by their lane share one box per lane.
        private static let high = Extras(Fields(priority: .high))
        private static let low = Extras(Fields(priority: .low))

        /// Nil for the defaults; a shared box when only the lane differs.
        static func make(_ fields: Fields) -> Extras? {
            if fields.isDefault { return nil }
            if fields.headers.isEmpty && fields.correlationID == nil && fields.orderingKey == nil
                && fields.attempt == 1
            {
                switch fields.priority {
                case .high: return high
                case .low: return low
                case .normal: return nil
                }
            }
            return Extras(fields)
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
