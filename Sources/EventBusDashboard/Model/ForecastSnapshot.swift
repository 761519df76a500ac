import EventQueue

/// The queue model's prediction for one mailbox, Q(t) = Q(0) + (R − C)·t, as the page shows it.
public struct ForecastSnapshot: Sendable, Hashable, Codable {
    /// `idle`, `drains`, `fills`, `grows` or `steady` (the cases of `Forecast`).
    public var kind: String
    /// Seconds until drained (`drains`) or full (`fills`).
    public var seconds: Double?
    /// Events a second the backlog grows by (`grows`).
    public var perSecond: Double?
    /// What the page says: "drains in 40 s", "full in 3 min", "grows by 30/s", "steady at 12", "idle".
    public var text: String

    /// The snapshot of `forecast`.
    public init(_ forecast: Forecast) {
        switch forecast {
        case .idle:
            kind = "idle"
        case .drains(let seconds):
            kind = "drains"
            self.seconds = seconds
        case .fills(let seconds):
            kind = "fills"
            self.seconds = seconds
        case .grows(let rate):
            kind = "grows"
            perSecond = rate
        case .steady:
            kind = "steady"
        }
        text = Self.text(forecast)
    }

    /// "drains in 40 s", "full in 3 min", "grows by 30/s", "steady at 12", "idle".
    public static func text(_ forecast: Forecast) -> String {
        switch forecast {
        case .idle: "idle"
        case .drains(let seconds): "drains in " + DashboardFormat.duration(seconds)
        case .fills(let seconds): seconds < 0.5 ? "full now" : "full in " + DashboardFormat.duration(seconds)
        case .grows(let rate): "grows by " + DashboardFormat.rate(rate) + "/s"
        case .steady(let depth): "steady at \(depth)"
        }
    }
}
