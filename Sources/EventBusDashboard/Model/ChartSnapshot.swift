/// One mailbox's last minutes and its forecast, as numbers (for your monitoring) and as the
/// drawing the page shows (``drawing``).
public struct ChartSnapshot: Sendable, Hashable, Codable {
    /// Seconds before ``DashboardSnapshot/generatedAt`` of each sample, oldest first.
    public var secondsAgo: [Double]
    /// Depth plus delayed events (the backlog the forecast applies to), per sample.
    public var depth: [Double]
    /// Arrival rate R per sample, events a second.
    public var arrivalRate: [Double]
    /// Consume rate C per sample, events a second.
    public var consumeRate: [Double]
    /// The forecast backlog Q(t) = Q(0) + (R − C)·t at ``forecastSeconds`` from now, clamped
    /// to 0 and to the capacity.
    public var forecastDepth: [Double]
    /// Seconds from now of each ``forecastDepth`` point.
    public var forecastSeconds: [Double]
    /// The page's SVG for these numbers.
    public var drawing: ChartDrawing

    /// A chart of these samples.
    public init(
        secondsAgo: [Double],
        depth: [Double],
        arrivalRate: [Double],
        consumeRate: [Double],
        forecastDepth: [Double],
        forecastSeconds: [Double],
        drawing: ChartDrawing
    ) {
        self.secondsAgo = secondsAgo
        self.depth = depth
        self.arrivalRate = arrivalRate
        self.consumeRate = consumeRate
        self.forecastDepth = forecastDepth
        self.forecastSeconds = forecastSeconds
        self.drawing = drawing
    }
}
