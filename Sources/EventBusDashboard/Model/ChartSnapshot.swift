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

/// The SVG geometry of a ``ChartSnapshot``: path data the page puts in its `<path d="…">`
/// elements, in a `width` × `height` view box. The top panel is the backlog (with the forecast
/// dashed beyond `nowX`), the bottom panel R and C.
public struct ChartDrawing: Sendable, Hashable, Codable {
    /// The view box's width.
    public var width: Double
    /// The view box's height (both panels).
    public var height: Double
    /// Where now is: samples to the left, the forecast to the right.
    public var nowX: Double
    /// The backlog at the top of the upper panel.
    public var depthScale: Double
    /// The rate at the top of the lower panel, events a second.
    public var rateScale: Double
    /// The backlog's line.
    public var depth: String
    /// The forecast's line, from now.
    public var forecast: String
    /// R's line.
    public var arrival: String
    /// C's line.
    public var consume: String
    /// A horizontal line at the capacity, when it is within the upper panel; empty otherwise.
    public var capacity: String

    /// A drawing.
    public init(
        width: Double,
        height: Double,
        nowX: Double,
        depthScale: Double,
        rateScale: Double,
        depth: String,
        forecast: String,
        arrival: String,
        consume: String,
        capacity: String
    ) {
        self.width = width
        self.height = height
        self.nowX = nowX
        self.depthScale = depthScale
        self.rateScale = rateScale
        self.depth = depth
        self.forecast = forecast
        self.arrival = arrival
        self.consume = consume
        self.capacity = capacity
    }
}
