/// What a request may do, as the application's authorization check decides.
public enum DashboardAccess: Int, Sendable, Hashable, Comparable {
    /// Nothing: the page answers 403.
    case none = 0
    /// See the page and its JSON (names, reasons and counts can carry personal data).
    case read = 1
    /// See, and requeue, purge and remove.
    case act = 2

    /// Orders by what it allows.
    public static func < (lhs: DashboardAccess, rhs: DashboardAccess) -> Bool { lhs.rawValue < rhs.rawValue }
}
