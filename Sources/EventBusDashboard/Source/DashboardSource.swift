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
