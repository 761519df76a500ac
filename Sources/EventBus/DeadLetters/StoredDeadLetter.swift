import EventLog
import Foundation

/// A dead letter as its mailbox's store keeps it, whatever its type: what
/// ``Bus/deadLetters(of:limit:)`` lists, `eventbus dump` prints and a dashboard shows.
///
/// Records that never decoded — another event type, a newer schema version, a key that is
/// missing, a damaged body — are here with the others, as bytes: nothing is decoded to list them.
public struct StoredDeadLetter: Sendable, Identifiable, Hashable {
    /// The event's id.
    public let id: EventID
    /// The mailbox (or consumer group) that keeps it.
    public let mailbox: String
    /// The name it was stored under.
    public let eventName: String
    /// The event type's ``Event/schemaVersion`` when it was stored (1 for records from before
    /// versions were stored).
    public let schemaVersion: Int
    /// The ``EventCodec/codecID`` of the codec that wrote the body: "json", "data", "text", an
    /// encrypting codec's id ("json" for records from before codec ids were stored, whose body
    /// the mailbox's codec wrote).
    public let codecID: String
    /// The body as stored: an encrypted body stays encrypted. For a dead letter of a mailbox in
    /// memory, the event's JSON when its type is `Codable` (empty otherwise).
    public let body: [UInt8]
    /// The headers, stored in clear.
    public let headers: [String: String]
    /// The correlation id, stored in clear.
    public let correlationID: String?
    /// The ordering key, stored in clear.
    public let orderingKey: String?
    /// Its lane.
    public let priority: Priority
    /// When it was published (nil when the envelope did not say).
    public let publishedAt: Date?
    /// Why it is a dead letter.
    public let reason: DeadLetterReason
    /// Failed attempts.
    public let attempts: Int
    /// Deliveries a crash cut off (known for local durable mailboxes; 0 otherwise).
    public let crashes: Int
    /// When it became a dead letter (for a local mailbox, as the log recorded it; a log written
    /// before its format 2 did not, and then it is when the mailbox was opened).
    public let deadLetteredAt: Date

    /// What a codec is told about this record: with it an encrypting codec's key ring opens
    /// ``body`` (see Documentation/DurableMailboxes.md, "Encryption").
    public var info: StoredEventInfo {
        StoredEventInfo(
            id: id,
            eventName: eventName,
            schemaVersion: schemaVersion,
            codecID: codecID,
            headers: headers,
            correlationID: correlationID,
            orderingKey: orderingKey
        )
    }

    /// Creates a dead letter.
    public init(
        id: EventID,
        mailbox: String,
        eventName: String,
        schemaVersion: Int,
        codecID: String,
        body: [UInt8],
        headers: [String: String] = [:],
        correlationID: String? = nil,
        orderingKey: String? = nil,
        priority: Priority = .normal,
        publishedAt: Date? = nil,
        reason: DeadLetterReason,
        attempts: Int,
        crashes: Int = 0,
        deadLetteredAt: Date
    ) {
        self.id = id
        self.mailbox = mailbox
        self.eventName = eventName
        self.schemaVersion = schemaVersion
        self.codecID = codecID
        self.body = body
        self.headers = headers
        self.correlationID = correlationID
        self.orderingKey = orderingKey
        self.priority = priority
        self.publishedAt = publishedAt
        self.reason = reason
        self.attempts = attempts
        self.crashes = crashes
        self.deadLetteredAt = deadLetteredAt
    }

    /// A dead letter of the stored envelope `envelope` (a record of a log, a row's body). An
    /// envelope that does not parse keeps all its bytes as the body and an empty event name
    /// (`fallbackName` when given).
    package init(
        id: EventID,
        mailbox: String,
        envelope: [UInt8],
        fallbackName: String = "",
        priority: Priority,
        reason: DeadLetterReason,
        attempts: Int,
        crashes: Int,
        deadLetteredAt: Date
    ) {
        let stored = try? StoredEnvelope(parsing: envelope)
        self.init(
            id: id,
            mailbox: mailbox,
            eventName: stored?.eventName ?? fallbackName,
            schemaVersion: stored?.schemaVersion ?? 1,
            codecID: stored.map { $0.codecID ?? "json" } ?? "",
            body: stored.map { Array(envelope[$0.bodyOffset...]) } ?? envelope,
            headers: stored?.headers ?? [:],
            correlationID: stored?.correlationID,
            orderingKey: stored?.orderingKey,
            priority: priority,
            publishedAt: stored?.publishedAt,
            reason: reason,
            attempts: attempts,
            crashes: crashes,
            deadLetteredAt: deadLetteredAt
        )
    }
}

extension StoredDeadLetter {
    /// The JSON of an event whose type is `Codable` (what a dead letter of a mailbox in memory
    /// shows as its body), with its type's name and version; nil for other values.
    static func json(of value: Any) -> (name: String, version: Int, body: [UInt8])? {
        guard let event = value as? any (Event & Encodable) else { return nil }
        func open<C: Event & Encodable>(_ event: C) -> (name: String, version: Int, body: [UInt8])? {
            guard let data = try? JSONEncoder().encode(event) else { return nil }
            return (C.eventName, C.schemaVersion, Array(data))
        }
        return open(event)
    }
}
