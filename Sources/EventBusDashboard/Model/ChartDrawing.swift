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
