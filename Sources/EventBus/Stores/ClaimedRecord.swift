import EventLog

/// An event a ``GroupStore`` leased to a claimant.
package struct ClaimedRecord: Sendable {
    /// The event's id (32 hex digits).
    package var id: String
    /// The name it was published under (a consumer decodes only its own type).
    package var eventName: String
    /// The envelope's bytes.
    package var body: [UInt8]
    /// Failed attempts so far (not counting this delivery).
    package var attempts: Int
    /// Deliveries cut off before they settled (a crash, or a lease that ran out).
    package var crashes: Int
    /// The lane.
    package var priority: Priority

    /// Creates a claimed record.
    package init(id: String, eventName: String, body: [UInt8], attempts: Int, crashes: Int, priority: Priority) {
        self.id = id
        self.eventName = eventName
        self.body = body
        self.attempts = attempts
        self.crashes = crashes
        self.priority = priority
    }
}
