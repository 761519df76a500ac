import EventLog

/// What an operator can ask the dashboard to do.
public enum DashboardAction: Sendable, Hashable {
    /// Move dead letters back to pending with their attempts reset: those with these ids, or all
    /// of them (nil).
    case requeue(mailbox: String, ids: Set<String>?)
    /// Delete the pending events and dead letters; the mailbox stays.
    case purge(mailbox: String)
    /// Delete the mailbox and everything it holds.
    case remove(mailbox: String)

    /// Which action.
    public var kind: DashboardActionKind {
        switch self {
        case .requeue: .requeue
        case .purge: .purge
        case .remove: .remove
        }
    }

    /// The mailbox it acts on.
    public var mailbox: String {
        switch self {
        case .requeue(let mailbox, _), .purge(let mailbox), .remove(let mailbox): mailbox
        }
    }
}

extension DashboardAction {
    /// The event ids a requeue names, parsed; nil for all of them.
    /// - Throws: ``DashboardActionError/notDeadLetters(mailbox:ids:)`` with the ids that are not
    ///   event ids at all (then nothing is requeued).
    package static func eventIDs(_ ids: Set<String>?, of mailbox: String) throws(DashboardActionError) -> Set<EventID>?
    {
        guard let ids else { return nil }
        let invalid = ids.filter { EventID($0) == nil }
        guard invalid.isEmpty else { throw .notDeadLetters(mailbox: mailbox, ids: invalid.sorted()) }
        return Set(ids.compactMap(EventID.init))
    }
}
