/// Where a dashboard's numbers come from.
public enum DashboardSourceKind: String, Sendable, Hashable, Codable {
    /// The bus of the running application: rates, latencies, forecasts and charts.
    case live
    /// Mailbox files (and PostgreSQL consumer groups) read from outside the application, by
    /// `eventbus dashboard`: depth, dead letters and recovery, no rates.
    case stored
}
