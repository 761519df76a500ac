import EventLog

/// What a store keeps in clear beside an event's body, and tells its codec: the event's id, its
/// name, the schema version and codec it was stored with, and the metadata that routes it.
///
/// A codec reads ``schemaVersion`` to bring an older body up to date (``JSONEventCodec`` runs
/// the type's ``Event/upcasters``); an authenticating codec binds all of it to the body, so that a
/// body moved to another record, or a record whose headers were changed, does not open.
public struct StoredEventInfo: Sendable, Hashable {
    /// The event's id.
    public var id: EventID
    /// The name it was stored under.
    public var eventName: String
    /// The event type's ``Event/schemaVersion`` when it was stored (1 for records written before
    /// versions were stored).
    public var schemaVersion: Int
    /// The ``EventCodec/codecID`` of the codec that wrote the body (nil for records written
    /// before codec ids were stored: read them with the mailbox's codec).
    public var codecID: String?
    /// The headers (trace context, tenant…): stored in clear.
    public var headers: [String: String]
    /// The correlation id: stored in clear.
    public var correlationID: String?
    /// The ordering key: stored in clear.
    public var orderingKey: String?

    /// Creates the information of one record.
    public init(
        id: EventID,
        eventName: String,
        schemaVersion: Int,
        codecID: String?,
        headers: [String: String] = [:],
        correlationID: String? = nil,
        orderingKey: String? = nil
    ) {
        self.id = id
        self.eventName = eventName
        self.schemaVersion = schemaVersion
        self.codecID = codecID
        self.headers = headers
        self.correlationID = correlationID
        self.orderingKey = orderingKey
    }
}
