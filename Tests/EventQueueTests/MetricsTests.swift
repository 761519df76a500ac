import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@Suite struct MetricsTests {
    @Test func theForecastFollowsTheQueueModel() {
        #expect(Forecast(depth: 100, arrivalRate: 10, consumeRate: 60) == .drains(inSeconds: 2))
        #expect(Forecast(depth: 0, arrivalRate: 50, consumeRate: 20) == .grows(perSecond: 30))
        #expect(Forecast(depth: 0, arrivalRate: 0, consumeRate: 0) == .idle)
        #expect(Forecast(depth: 5, arrivalRate: 0, consumeRate: 0) == .steady(depth: 5))
        #expect(Forecast(depth: 100, arrivalRate: 10, consumeRate: 60).description == "drains in 2.0 s")
        #expect(Forecast(depth: 0, arrivalRate: 50, consumeRate: 20).description == "grows by 30/s")
    }

    @Test func aGrowingBoundedQueueForecastsWhenItIsFull() {
        // 900 more events fit; the backlog grows by 30 a second: full in 30 s.
        #expect(Forecast(depth: 100, arrivalRate: 50, consumeRate: 20, room: 900) == .fills(inSeconds: 30))
        #expect(Forecast(depth: 100, arrivalRate: 50, consumeRate: 20, room: 900).description == "full in 30.0 s")
        // Already full (room used up by in-flight events too): full now, not a negative time.
        #expect(Forecast(depth: 10, arrivalRate: 5, consumeRate: 1, room: -3) == .fills(inSeconds: 0))
        // Room changes nothing for a queue that drains or holds steady.
        #expect(Forecast(depth: 100, arrivalRate: 10, consumeRate: 60, room: 5) == .drains(inSeconds: 2))
        #expect(Forecast(depth: 5, arrivalRate: 0, consumeRate: 0, room: 5) == .steady(depth: 5))
    }

    @Test func aQueuesMetricsForecastItsBoundFromDepthDelayedAndInFlight() {
        var metrics = QueueMetrics(name: "orders")
        metrics.capacity = 1_000
        metrics.depth = 300
        metrics.delayed = 100
        metrics.inFlight = 200
        metrics.arrivalRate = 60
        metrics.consumeRate = 20
        // 1,000 − 300 − 100 − 200 = 400 more fit; 40 a second more arrive than leave.
        #expect(metrics.forecast == .fills(inSeconds: 10))
        metrics.capacity = nil
        #expect(metrics.forecast == .grows(perSecond: 40))
    }

    @Test func countersFollowEveryTransition() async throws {
        let queue = makeQueue(
            capacity: .bounded(3, overflow: .dropNewest),
            acknowledgement: .explicit(visibilityTimeout: nil),
            retry: .immediate(maxAttempts: 2)
        )
        for value in 1...4 { try await queue.enqueue(value, id: id(UInt64(value))) }
        let leases = try await queue.takeReady()
        try await queue.ack(leases[0])
        try await queue.nack(leases[1], reason: "x")
        let metrics = queue.metrics()
        #expect(metrics.enqueued == 3)
        #expect(metrics.dropped == 1)
        #expect(metrics.delivered == 3)
        #expect(metrics.acked == 1)
        #expect(metrics.nacked == 1)
        #expect(metrics.retried == 1)
        #expect(metrics.depth == 1)
        #expect(metrics.inFlight == 1)
        #expect(metrics.capacity == 3)
    }

    @Test func absorbAddsQueuesTogether() {
        var total = QueueMetrics(name: "total")
        var one = QueueMetrics(name: "a")
        one.depth = 3
        one.enqueued = 10
        one.arrivalRate = 5
        total.absorb(one)
        total.absorb(one)
        #expect(total.depth == 6)
        #expect(total.enqueued == 20)
        #expect(total.arrivalRate == 10)
    }

    @Test func formatDecimalRounds() {
        #expect(formatDecimal(1234.5678, places: 2) == "1234.57")
        #expect(formatDecimal(0.04, places: 1) == "0.0")
        #expect(formatDecimal(-3.5, places: 0) == "-4")
        #expect(formatDecimal(7, places: 3) == "7.000")
    }

    @Test func latencyQuantilesComeFromTheHistogram() async throws {
        let queue = makeQueue()
        for value in 1...100 { try await queue.enqueue(value, id: id(UInt64(value))) }
        _ = try await queue.takeReady()
        let latency = queue.metrics().latency
        #expect(latency.count == 100)
        #expect(latency.p50 <= latency.p90)
        #expect(latency.p90 <= latency.p99)
        #expect(latency.p99 <= latency.max)
    }
}
