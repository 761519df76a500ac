/// The kinds of ``DashboardAction``, as the JSON and the page's URLs name them.
public enum DashboardActionKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Requeue dead letters.
    case requeue
    /// Purge pending events and dead letters.
    case purge
    /// Remove the mailbox.
    case remove
}
