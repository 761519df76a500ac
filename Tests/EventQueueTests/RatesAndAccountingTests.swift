import EventBusTestSupport
import EventLog
import EventQueue
import Testing

/// The numbers an operator reads: every accepted event is somewhere, and the rates follow what
/// happens now rather than what happened a while ago.
@Suite struct RatesAndAccountingTests {
    /// Where every accepted event is: ready, delayed, in flight, acknowledged, dead or dropped.
    func accounted(_ metrics: QueueMetrics) -> UInt64 {
        UInt64(metrics.depth + metrics.delayed + metrics.inFlight) + metrics.acked + metrics.deadLettered
            + metrics.dropped
    }

    @Test func fetchedAheadEventsOfAnAutomaticConsumerAreInFlight() async throws {
        let queue = makeQueue()
        for value in 1...500 { try await queue.enqueue(value, id: id(UInt64(value))) }
        // A consumer that takes batches of 8 and has handled 200 events: it holds the 26th batch.
        for _ in 0..<25 {
            let batch = try await queue.takeReady(8)
            queue.complete(batch.count)
        }
        _ = try await queue.takeReady(8)
        let metrics = queue.metrics()
        #expect(metrics.depth == 292)
        #expect(metrics.inFlight == 8)
        #expect(metrics.acked == 200)
        #expect(accounted(metrics) == metrics.enqueued)
        #expect(metrics.enqueued == 500)
    }

    @Test func everyAcceptedEventIsAccountedForThroughRetriesDeadLettersAndDrops() async throws {
        let queue = makeQueue(
            capacity: .bounded(40, overflow: .dropOldest),
            acknowledgement: .explicit(visibilityTimeout: nil),
            retry: .immediate(maxAttempts: 2)
        )
        for value in 1...50 { try await queue.enqueue(value, id: id(UInt64(value))) }
        var leases = try await queue.takeReady(30)
        for lease in leases.prefix(10) { try await queue.ack(lease) }
        for lease in leases.dropFirst(10).prefix(10) { try await queue.nack(lease, reason: "first") }
        var metrics = queue.metrics()
        #expect(metrics.dropped == 10)
        #expect(metrics.inFlight == 10)
        #expect(accounted(metrics) == metrics.enqueued)
        // The retried ones come round again and fail for good.
        leases = try await queue.takeReady(30)
        for lease in leases where lease.attempt == 2 { try await queue.nack(lease, reason: "second") }
        metrics = queue.metrics()
        #expect(metrics.deadLettered == 10)
        #expect(accounted(metrics) == metrics.enqueued)
    }

    @Test func anIdleQueueForecastsIdleOnceTheWindowHasPassed() async throws {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        for value in 1...2_500 { try await queue.enqueue(value, id: id(UInt64(value))) }
        clock.advance(by: .seconds(1))
        for _ in 0..<(2_500 / 8 + 1) {
            let batch = try await queue.readyNow()
            queue.complete(batch.count)
        }
        var metrics = queue.metrics()
        #expect(metrics.depth == 0)
        #expect(metrics.arrivalRate == 2_500)
        clock.advance(by: .seconds(2))
        metrics = queue.metrics()
        #expect(metrics.arrivalRate > 0)
        // Five seconds after the last event nothing is left of the rates.
        clock.advance(by: .seconds(3))
        metrics = queue.metrics()
        #expect(metrics.arrivalRate == 0)
        #expect(metrics.consumeRate == 0)
        #expect(metrics.forecast == .idle)
    }

    @Test func aDrainingQueueForecastsItsDrainTime() async throws {
        let clock = ManualClock()
        let queue = makeQueue(acknowledgement: .explicit(visibilityTimeout: nil), clock: clock)
        for value in 1...1_000 { try await queue.enqueue(value, id: id(UInt64(value))) }
        // Nothing arrives any more; a consumer settles 100 events a second for six seconds.
        for _ in 0..<24 {
            clock.advance(by: .milliseconds(250))
            for lease in try await queue.takeReady(25) { try await queue.ack(lease) }
        }
        let metrics = queue.metrics()
        #expect(metrics.depth == 400)
        #expect(metrics.arrivalRate == 0)
        #expect(metrics.consumeRate >= 90 && metrics.consumeRate <= 112)
        guard case .drains(let seconds) = metrics.forecast else {
            Issue.record("expected a draining forecast, got \(metrics.forecast)")
            return
        }
        // 400 left at 100 a second: 4 s, within the window's accuracy (one bucket of 500 ms).
        #expect(seconds >= 3.5 && seconds <= 4.5)
    }
}
