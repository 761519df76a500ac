/// Why a local-mailbox verb of `eventbus` refused.
enum MailboxToolError: Error, Equatable, CustomStringConvertible {
    /// `--ids` named events that are not dead letters of the mailbox.
    case notDeadLetters(mailbox: String, ids: [String])

    var description: String {
        switch self {
        case .notDeadLetters(let mailbox, let ids):
            "not dead letters of \(mailbox): \(ids.joined(separator: ", ")) (nothing requeued; eventbus dump lists them)"
        }
    }
}
