/// What ``Bus/purgeMailbox(_:)`` deleted.
public struct PurgeReport: Sendable, Hashable, CustomStringConvertible {
    /// Events that were waiting: ready or delayed (in a consumer group also those leased to an
    /// instance, whose acknowledgement then finds nothing).
    public let pending: Int
    /// Dead letters.
    public let deadLetters: Int

    /// A report of `pending` events and `deadLetters` dead letters deleted.
    public init(pending: Int, deadLetters: Int) {
        self.pending = pending
        self.deadLetters = deadLetters
    }

    /// "3 pending events and 1 dead letter".
    public var description: String {
        "\(pending) pending event\(pending == 1 ? "" : "s") and \(deadLetters) dead letter\(deadLetters == 1 ? "" : "s")"
    }
}
