import EventLog

/// An event as a publish hands it to a ``GroupStore``.
package struct GroupRecord: Sendable {
    /// `E.eventName`: the groups declared for it get a row each.
    package var eventName: String
    /// The event's id (32 hex digits): a group stores an id once.
    package var id: String
    /// The envelope as ``EnvelopeCodec`` frames it (metadata, then the codec's body).
    package var body: [UInt8]
    /// The lane.
    package var priority: Priority
    /// Visible only after this delay (nil: at once).
    package var delay: Duration?
    /// Events of a group with the same key are handled one at a time, in publish order.
    package var orderingKey: String?
    /// `E.schemaVersion`: a consumer claims only the versions its type reads.
    package var schemaVersion: Int

    /// Creates a record.
    package init(
        eventName: String,
        id: String,
        body: [UInt8],
        priority: Priority,
        delay: Duration?,
        orderingKey: String? = nil,
        schemaVersion: Int = 1
    ) {
        self.eventName = eventName
        self.id = id
        self.body = body
        self.priority = priority
        self.delay = delay
        self.orderingKey = orderingKey
        self.schemaVersion = schemaVersion
    }
}
