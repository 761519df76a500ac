import EventQueue

/// Draws a mailbox's samples and forecast as SVG path data: the one place the geometry is
/// computed (the page's script only puts these strings in place).
enum ChartMaker {
    static let width = 600.0
    static let depthHeight = 90.0
    static let gap = 14.0
    static let rateHeight = 50.0
    static var height: Double { depthHeight + gap + rateHeight }
    /// Points of the forecast line.
    static let forecastSteps = 12

    /// The chart of `series` (oldest first, times in seconds on the sampler's clock) read at
    /// `now`, over the last `window` seconds, with `mailbox`'s forecast drawn `window / 3`
    /// seconds forward. Nil without samples.
    static func chart(
        series: [(time: Double, depth: Double, arrival: Double, consume: Double)],
        now: Double,
        window: Double,
        mailbox: MailboxSnapshot
    ) -> ChartSnapshot? {
        guard !series.isEmpty, window > 0 else { return nil }
        let horizon = window / 3
        let span = window + horizon
        func x(_ secondsFromNow: Double) -> Double {
            (min(horizon, max(-window, secondsFromNow)) + window) / span * width
        }
        let start = Double(mailbox.depth + mailbox.delayed)
        // The line follows the forecast's verdict: flat when it says idle or steady (R and C
        // within 1 % of each other), R − C otherwise.
        let flat = mailbox.forecast.map { $0.kind == "idle" || $0.kind == "steady" } ?? false
        let slope = flat ? 0 : (mailbox.arrivalRate ?? 0) - (mailbox.consumeRate ?? 0)
        let ceiling = mailbox.capacity.map(Double.init) ?? .infinity
        var forecastSeconds: [Double] = []
        var forecastDepth: [Double] = []
        if mailbox.arrivalRate != nil {
            for step in 0...forecastSteps {
                let t = horizon * Double(step) / Double(forecastSteps)
                forecastSeconds.append(t)
                forecastDepth.append(min(ceiling, max(0, start + slope * t)))
            }
        }
        let depthScale = niceCeiling(max(series.map(\.depth).max() ?? 0, forecastDepth.max() ?? 0))
        let rateScale = niceCeiling(max(series.map(\.arrival).max() ?? 0, series.map(\.consume).max() ?? 0))
        func depthY(_ value: Double) -> Double { depthHeight - min(1, value / depthScale) * depthHeight }
        func rateY(_ value: Double) -> Double {
            depthHeight + gap + rateHeight - min(1, value / rateScale) * rateHeight
        }
        let ages = series.map { now - $0.time }
        let depth = path(zip(ages, series).map { (x(-$0), depthY($1.depth)) })
        let arrival = path(zip(ages, series).map { (x(-$0), rateY($1.arrival)) })
        let consume = path(zip(ages, series).map { (x(-$0), rateY($1.consume)) })
        let forecast = path(zip(forecastSeconds, forecastDepth).map { (x($0), depthY($1)) })
        var capacityLine = ""
        if ceiling <= depthScale { capacityLine = path([(0, depthY(ceiling)), (width, depthY(ceiling))]) }
        return ChartSnapshot(
            secondsAgo: ages,
            depth: series.map(\.depth),
            arrivalRate: series.map(\.arrival),
            consumeRate: series.map(\.consume),
            forecastDepth: forecastDepth,
            forecastSeconds: forecastSeconds,
            drawing: ChartDrawing(
                width: width,
                height: height,
                nowX: x(0),
                depthScale: depthScale,
                rateScale: rateScale,
                depth: depth,
                forecast: forecast,
                arrival: arrival,
                consume: consume,
                capacity: capacityLine
            )
        )
    }

    /// The smallest of 1, 2, 5 × 10ⁿ at or above `value` (at least 1): a round top for an axis.
    static func niceCeiling(_ value: Double) -> Double {
        guard value.isFinite, value > 1 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= value { magnitude *= 10 }
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    /// `M x,y L x,y …` with one decimal; empty for no points.
    static func path(_ points: [(Double, Double)]) -> String {
        var text = ""
        for (index, point) in points.enumerated() {
            text +=
                (index == 0 ? "M" : " L") + formatDecimal(point.0, places: 1) + "," + formatDecimal(point.1, places: 1)
        }
        return text
    }
}
