/// Why a source refused an action.
public enum DashboardActionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No mailbox of that name.
    case unknownMailbox(String)
    /// The mailbox does not support the action, and why.
    case unsupported(DashboardActionKind, mailbox: String, reason: String)
    /// A running process holds the mailbox: only it may change it.
    case held(mailbox: String)
    /// Ids that are not dead letters of the mailbox (nothing was requeued).
    case notDeadLetters(mailbox: String, ids: [String])

    /// The message the page shows.
    public var description: String {
        switch self {
        case .unknownMailbox(let name):
            "no mailbox \(name)"
        case .unsupported(let kind, let mailbox, let reason):
            "\(mailbox) cannot \(kind.rawValue): \(reason)"
        case .held(let mailbox):
            "a running process holds \(mailbox): act through the dashboard mounted in that application"
        case .notDeadLetters(let mailbox, let ids):
            "not dead letters of \(mailbox): \(ids.joined(separator: ", ")) (nothing requeued)"
        }
    }
}
