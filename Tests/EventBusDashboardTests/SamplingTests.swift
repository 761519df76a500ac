import EventQueue
import Testing

@testable import EventBusDashboard

/// The charts' samples cost a fixed amount of memory, and their drawing follows the numbers.
@Suite struct SamplingTests {
    static func mailbox(_ name: String, depth: Int, arrival: Double, consume: Double) -> MailboxSnapshot {
        var mailbox = MailboxSnapshot(name: name, kind: .memory, depth: depth, inFlight: 0, delayed: 0, deadLetters: 0)
        mailbox.arrivalRate = arrival
        mailbox.consumeRate = consume
        return mailbox
    }

    @Test func aMailboxKeepsOnlyItsLastSamples() {
        let samples = DashboardSamples(samples: 5, mailboxes: 10)
        for second in 0..<100 {
            samples.record([Self.mailbox("orders", depth: second, arrival: 1, consume: 0)], at: Double(second))
        }
        let series = samples.series(of: "orders")
        #expect(series.count == 5)
        #expect(series.map(\.time) == [95, 96, 97, 98, 99])
        #expect(series.map(\.depth) == [95, 96, 97, 98, 99])
    }

    @Test func mailboxesBeyondTheLimitAreNotChartedAndAGoneMailboxFreesItsRing() {
        let samples = DashboardSamples(samples: 3, mailboxes: 2)
        let three = ["a", "b", "c"].map { Self.mailbox($0, depth: 1, arrival: 0, consume: 0) }
        samples.record(three, at: 0)
        #expect(samples.charted == 2)
        #expect(samples.series(of: "c").isEmpty)
        // "a" is gone: its ring is freed, and "c" gets one.
        samples.record(Array(three.dropFirst()), at: 1)
        samples.record(Array(three.dropFirst()), at: 2)
        #expect(samples.charted == 2)
        #expect(samples.series(of: "a").isEmpty)
        #expect(samples.series(of: "c").count == 1)
    }

    @Test func theChartDrawsTheSamplesAndTheForecastForward() throws {
        var mailbox = Self.mailbox("orders", depth: 50, arrival: 10, consume: 20)
        mailbox.capacity = 100
        // Depth 0 → 100 → 50 over the last 120 s, R 10, C 20: drains at 10 a second.
        let series: [(time: Double, depth: Double, arrival: Double, consume: Double)] = [
            (880, 0, 10, 0), (940, 100, 10, 20), (1_000, 50, 10, 20),
        ]
        let chart = try #require(ChartMaker.chart(series: series, now: 1_000, window: 120, mailbox: mailbox))
        #expect(chart.secondsAgo == [120, 60, 0])
        #expect(chart.depth == [0, 100, 50])
        // 40 s forward (a third of the window), in 12 steps: 50 → 0 by 5 s, then 0.
        #expect(chart.forecastSeconds.count == 13)
        #expect(chart.forecastDepth.first == 50)
        #expect(chart.forecastDepth.last == 0)
        let drawing = chart.drawing
        #expect(drawing.depthScale == 100)
        #expect(drawing.rateScale == 20)
        // x: −120 s at 0, now at 450 of 600, +40 s at 600; y: the depth panel is 90 high.
        #expect(drawing.nowX == 450)
        #expect(drawing.depth == "M0.0,90.0 L225.0,0.0 L450.0,45.0")
        #expect(drawing.forecast.hasPrefix("M450.0,45.0 "))
        #expect(drawing.forecast.hasSuffix(" L600.0,90.0"))
        // The capacity (100) is the panel's top.
        #expect(drawing.capacity == "M0.0,0.0 L600.0,0.0")
        // R at 10 of 20: half the rate panel (104 to 154).
        #expect(drawing.arrival == "M0.0,129.0 L225.0,129.0 L450.0,129.0")
    }

    @Test func aGrowingForecastStopsAtTheCapacity() throws {
        var mailbox = Self.mailbox("orders", depth: 90, arrival: 20, consume: 10)
        mailbox.capacity = 100
        let chart = try #require(
            ChartMaker.chart(series: [(0, 90, 20, 10)], now: 0, window: 60, mailbox: mailbox)
        )
        #expect(chart.forecastDepth.max() == 100)
        #expect(ChartMaker.niceCeiling(0) == 1)
        #expect(ChartMaker.niceCeiling(101) == 200)
        #expect(ChartMaker.niceCeiling(3_001) == 5_000)
    }

    @Test func aLiveDashboardChartsWhatItSampled() async throws {
        let source = FakeSource(mailboxes: [Self.mailbox("orders", depth: 3, arrival: 1, consume: 1)])
        let dashboard = Dashboard(source: source)
        #expect(try await dashboard.snapshot().mailboxes[0].chart == nil)
        try await dashboard.sample()
        source.update("orders") { $0.depth = 7 }
        try await dashboard.sample()
        let chart = try #require(try await dashboard.snapshot().mailboxes[0].chart)
        #expect(chart.depth == [3, 7])
        #expect(!chart.drawing.depth.isEmpty)
    }
}
