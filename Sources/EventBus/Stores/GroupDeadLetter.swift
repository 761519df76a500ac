import EventLog
import Foundation

/// A dead letter as a ``GroupStore`` keeps it: the stored bytes, not yet decoded.
package struct GroupDeadLetter: Sendable {
    /// The event's id (32 hex digits).
    package var id: String
    /// The name it was published under.
    package var eventName: String
    /// The envelope's bytes.
    package var body: [UInt8]
    /// The lane.
    package var priority: Priority
    /// Failed attempts.
    package var attempts: Int
    /// Why it was dead-lettered.
    package var reason: String
    /// When, on the store's clock.
    package var deadAt: Date

    /// Creates a dead letter.
    package init(
        id: String,
        eventName: String,
        body: [UInt8],
        priority: Priority,
        attempts: Int,
        reason: String,
        deadAt: Date
    ) {
        self.id = id
        self.eventName = eventName
        self.body = body
        self.priority = priority
        self.attempts = attempts
        self.reason = reason
        self.deadAt = deadAt
    }
}
