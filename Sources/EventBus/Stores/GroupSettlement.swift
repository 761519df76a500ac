/// A settlement of an event a consumer claimed from a ``GroupStore``: several are written in one
/// statement (``GroupStore/settle(group:owner:_:)``).
package struct GroupSettlement: Sendable, Equatable {
    /// What happens to the event.
    package enum Kind: Sendable, Equatable {
        /// Handled: deleted (or a tombstone in a group with a dedup window).
        case acknowledge
        /// A failed attempt: counted, and the event visible again after the delay.
        case retry(after: Duration, reason: String)
    }

    /// The event's id (32 hex digits).
    package var id: String
    package var kind: Kind

    /// Creates a settlement.
    package init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }
}
