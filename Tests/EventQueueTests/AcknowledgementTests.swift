import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@Suite struct AcknowledgementTests {
    @Test func anAckedEventIsGoneAndCounted() async throws {
        let queue = makeQueue(acknowledgement: .explicit(visibilityTimeout: nil))
        try await queue.enqueue(1, id: id(1))
        let lease = try #require(try await queue.takeReady().first)
        #expect(queue.metrics().inFlight == 1)
        try await queue.ack(lease)
        let metrics = queue.metrics()
        #expect(metrics.inFlight == 0)
        #expect(metrics.acked == 1)
        #expect(metrics.latency.count == 1)
        await #expect(throws: QueueError.unknownLease(lease.tag)) { try await queue.ack(lease) }
    }

    @Test func aNackedEventIsRetriedWithTheNextAttempt() async throws {
        let queue = makeQueue(acknowledgement: .explicit(visibilityTimeout: nil), retry: .immediate(maxAttempts: 3))
        try await queue.enqueue(1, id: id(1))
        let first = try #require(try await queue.takeReady().first)
        try await queue.nack(first, reason: "try again")
        let second = try #require(try await queue.takeReady().first)
        #expect(second.element == 1)
        #expect(second.attempt == 2)
        #expect(queue.metrics().retried == 1)
    }

    @Test func afterTheLastAttemptTheEventIsDeadLettered() async throws {
        let queue = makeQueue(acknowledgement: .explicit(visibilityTimeout: nil), retry: .immediate(maxAttempts: 3))
        try await queue.enqueue(9, id: id(9))
        for attempt in 1...3 {
            let lease = try #require(try await queue.takeReady().first)
            #expect(lease.attempt == attempt)
            try await queue.nack(lease, reason: "failure \(attempt)")
        }
        let letters = queue.deadLetters()
        #expect(letters.map(\.element) == [9])
        #expect(letters.first?.attempts == 3)
        #expect(letters.first?.reason == "failure 3")
        let metrics = queue.metrics()
        #expect(metrics.deadLettered == 1)
        #expect(metrics.nacked == 3)
        #expect(metrics.depth == 0)
    }

    @Test func deadLettersCanBeRequeued() async throws {
        let queue = makeQueue(acknowledgement: .explicit(visibilityTimeout: nil), retry: .none)
        try await queue.enqueue(1, id: id(1))
        try await queue.enqueue(2, id: id(2))
        for lease in try await queue.takeReady() { try await queue.nack(lease, reason: "no") }
        #expect(queue.deadLetters().count == 2)
        #expect(try await queue.requeueDeadLetters(ids: [id(2)]) == 1)
        let again = try await queue.takeReady()
        #expect(again.map(\.element) == [2])
        #expect(again.first?.attempt == 1)
        #expect(queue.deadLetters().map(\.element) == [1])
    }

    @Test func theDeadLetterKeepLimitDiscardsTheOldest() async throws {
        let queue = makeQueue(acknowledgement: .explicit(visibilityTimeout: nil), deadLetter: .keep(limit: 2))
        for value in 1...4 { try await queue.enqueue(value, id: id(UInt64(value))) }
        for lease in try await queue.takeReady() { try await queue.nack(lease, reason: "no") }
        #expect(queue.deadLetters().map(\.element) == [3, 4])
        #expect(queue.metrics().deadLettersDiscarded == 2)
    }

    @Test func anUnsettledDeliveryIsRedeliveredAfterTheVisibilityTimeout() async throws {
        let clock = ManualClock()
        let queue = makeQueue(
            acknowledgement: .explicit(visibilityTimeout: .seconds(10)),
            retry: .immediate(maxAttempts: 5),
            clock: clock
        )
        try await queue.enqueue(1, id: id(1))
        let first = try #require(try await queue.takeReady().first)
        #expect(first.attempt == 1)
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(9))
        #expect(queue.metrics().inFlight == 1)
        clock.advance(by: .seconds(1))
        let second = try #require(try await queue.next(maxCount: 1)?.first)
        #expect(second.attempt == 2)
        await #expect(throws: QueueError.unknownLease(first.tag)) { try await queue.ack(first) }
        try await queue.ack(second)
    }

    @Test func retryBackoffDelaysTheNextAttempt() async throws {
        let clock = ManualClock()
        let queue = makeQueue(
            acknowledgement: .explicit(visibilityTimeout: nil),
            retry: .fixed(maxAttempts: 2, delay: .seconds(5)),
            clock: clock
        )
        try await queue.enqueue(1, id: id(1))
        let first = try #require(try await queue.takeReady().first)
        try await queue.nack(first, reason: "later")
        #expect(queue.metrics().delayed == 1)
        #expect(queue.metrics().depth == 0)
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(5))
        let second = try #require(try await queue.next(maxCount: 1)?.first)
        #expect(second.attempt == 2)
    }

    @Test func exponentialBackoffDoublesAndCaps() {
        let policy = RetryPolicy.exponential(
            maxAttempts: 10,
            initial: .milliseconds(50),
            maxDelay: .milliseconds(300),
            jitter: 0
        )
        let delays = (1...5).map { policy.delay(afterAttempt: $0, unit: 0.5) }
        #expect(
            delays == [
                .milliseconds(50), .milliseconds(100), .milliseconds(200), .milliseconds(300), .milliseconds(300),
            ]
        )
    }

    @Test func jitterStaysWithinItsFraction() {
        let policy = RetryPolicy.exponential(maxAttempts: 10, initial: .milliseconds(100), jitter: 0.2)
        for unit in stride(from: 0.0, to: 1.0, by: 0.05) {
            let delay = policy.delay(afterAttempt: 1, unit: unit)
            #expect(delay >= .milliseconds(80) && delay <= .milliseconds(120))
        }
    }

    @Test func queuesWithoutAcknowledgementIgnoreAcks() async throws {
        let queue = makeQueue()
        try await queue.enqueue(1, id: id(1))
        let lease = try #require(try await queue.takeReady().first)
        #expect(lease.tag == 0)
        try await queue.ack(lease)
        try await queue.nack(lease, reason: "ignored")
        // Settled when the consumer reports it handled, not by the ack.
        #expect(queue.metrics().acked == 0)
        #expect(queue.metrics().inFlight == 1)
        queue.complete(1)
        #expect(queue.metrics().acked == 1)
        #expect(queue.metrics().inFlight == 0)
        #expect(queue.deadLetters().isEmpty)
    }
}
