/// Where a ``Dashboard`` reads its numbers and dead letters and does its actions: the seam an
/// adapter for another store, or a test, implements.
///
/// ``BusDashboardSource`` reads a running bus; `eventbus dashboard` has one over mailbox
/// directories and PostgreSQL consumer groups.
public protocol DashboardSource: Sendable {
    /// Whether the numbers are live (rates, latencies, charts) or read from storage.
    var kind: DashboardSourceKind { get }
    /// What the page says above the table about this source; nil for nothing.
    var notice: String? { get }
    /// Every mailbox, queue and consumer group now, without chart or dead-letter list (the
    /// dashboard adds those).
    func mailboxes() async throws -> [MailboxSnapshot]
    /// The dead letters of `mailbox`, oldest first, at most `limit`; with their bodies only when
    /// `bodies` is true.
    func deadLetters(of mailbox: String, limit: Int, bodies: Bool) async throws -> [DeadLetterSnapshot]
    /// Does `action` through the same API as the CLI.
    /// - Returns: what to tell the operator ("requeued 3 dead letters of billing").
    /// - Throws: ``DashboardActionError`` when the source refuses, or the store's error.
    func perform(_ action: DashboardAction) async throws -> String
}

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

/// The kinds of ``DashboardAction``, as the JSON and the page's URLs name them.
public enum DashboardActionKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Requeue dead letters.
    case requeue
    /// Purge pending events and dead letters.
    case purge
    /// Remove the mailbox.
    case remove
}

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
