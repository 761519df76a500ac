import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@Suite struct BackpressureTests {
    @Test func dropNewestKeepsTheFirstEvents() async throws {
        let queue = makeQueue(capacity: .bounded(3, overflow: .dropNewest))
        var outcomes: [EnqueueOutcome] = []
        for value in 1...5 { outcomes.append(try await queue.enqueue(value, id: id(UInt64(value)))) }
        #expect(outcomes == [.enqueued, .enqueued, .enqueued, .droppedNewest, .droppedNewest])
        #expect(try await queue.takeReady().map(\.element) == [1, 2, 3])
        #expect(queue.metrics().dropped == 2)
    }

    @Test func dropOldestKeepsTheLastEvents() async throws {
        let queue = makeQueue(capacity: .bounded(3, overflow: .dropOldest))
        var outcomes: [EnqueueOutcome] = []
        for value in 1...5 { outcomes.append(try await queue.enqueue(value, id: id(UInt64(value)))) }
        #expect(outcomes == [.enqueued, .enqueued, .enqueued, .droppedOldest, .droppedOldest])
        #expect(try await queue.takeReady().map(\.element) == [3, 4, 5])
        #expect(queue.metrics().dropped == 2)
    }

    @Test func dropOldestDropsFromTheLowestLaneFirst() async throws {
        let queue = makeQueue(capacity: .bounded(2, overflow: .dropOldest))
        try await queue.enqueue(1, id: id(1), priority: .high)
        try await queue.enqueue(2, id: id(2), priority: .low)
        try await queue.enqueue(3, id: id(3), priority: .high)
        #expect(try await queue.takeReady().map(\.element) == [1, 3])
    }

    @Test func failThrowsATypedError() async throws {
        let queue = makeQueue(capacity: .bounded(2, overflow: .fail))
        try await queue.enqueue(1, id: id(1))
        try await queue.enqueue(2, id: id(2))
        await #expect(throws: QueueError.full(capacity: 2)) { try await queue.enqueue(3, id: id(3)) }
        #expect(try await queue.takeReady().map(\.element) == [1, 2])
    }

    @Test func suspendPublisherWaitsForRoomAndKeepsOrder() async throws {
        let queue = makeQueue(capacity: .bounded(2, overflow: .suspendPublisher))
        let producer = Task {
            for value in 1...6 { try await queue.enqueue(value, id: id(UInt64(value))) }
        }
        var received: [Int] = []
        while received.count < 6 {
            let batch = try await queue.next(maxCount: 1) ?? []
            received += batch.map(\.element)
            #expect(queue.metrics().depth <= 2)
        }
        try await producer.value
        #expect(received == [1, 2, 3, 4, 5, 6])
    }

    @Test func tryEnqueueRefusesInsteadOfWaiting() async throws {
        let queue = makeQueue(capacity: .bounded(1, overflow: .suspendPublisher))
        try queue.tryEnqueue(1, id: id(1))
        #expect(throws: QueueError.full(capacity: 1)) { try queue.tryEnqueue(2, id: id(2)) }
    }

    @Test func aCancelledWaitingProducerDoesNotEnqueue() async throws {
        let queue = makeQueue(capacity: .bounded(1, overflow: .suspendPublisher))
        try await queue.enqueue(1, id: id(1))
        let producer = Task { try await queue.enqueue(2, id: id(2)) }
        while queue.metrics().waitingProducers == 0 { await Task.yield() }
        producer.cancel()
        await #expect(throws: QueueError.cancelled) { try await producer.value }
        #expect(try await queue.takeReady().map(\.element) == [1])
        #expect(queue.metrics().enqueued == 1)
    }

    @Test func closingFailsWaitingProducers() async throws {
        let queue = makeQueue(capacity: .bounded(1, overflow: .suspendPublisher))
        try await queue.enqueue(1, id: id(1))
        let producer = Task { try await queue.enqueue(2, id: id(2)) }
        while queue.metrics().waitingProducers == 0 { await Task.yield() }
        queue.close()
        await #expect(throws: QueueError.closed) { try await producer.value }
    }

    /// 250 times the bound into a consumer that never reads, with every overflow policy: the
    /// queue never holds more than its bound, and every event beyond it is accounted for (the
    /// benchmark's `soak` row floods a million into a stalled mailbox and measures its memory).
    /// The flood yields now and then: `tryEnqueue` never suspends, and floods of a million
    /// without a suspension point held both threads of the cooperative pool for a minute under
    /// ThreadSanitizer, starving every other test of the run.
    @Test(arguments: [OverflowPolicy.dropOldest, .dropNewest, .fail, .suspendPublisher])
    func aFloodIntoAStalledConsumerStaysBounded(policy: OverflowPolicy) async throws {
        let queue = makeQueue(capacity: .bounded(1_000, overflow: policy))
        let flood = 250_000
        switch policy {
        case .dropOldest, .dropNewest:
            for value in 0..<flood {
                try queue.tryEnqueue(value, id: id(UInt64(value)))
                if value % 4_096 == 0 { await Task.yield() }
            }
            #expect(queue.metrics().dropped == UInt64(flood - 1_000))
        case .fail:
            var refused = 0
            for value in 0..<flood {
                do { try queue.tryEnqueue(value, id: id(UInt64(value))) } catch { refused += 1 }
                if value % 4_096 == 0 { await Task.yield() }
            }
            #expect(refused == flood - 1_000)
        case .suspendPublisher:
            let producer = Task {
                for value in 0..<flood { try await queue.enqueue(value, id: id(UInt64(value))) }
            }
            while queue.metrics().waitingProducers == 0 { await Task.yield() }
            producer.cancel()
            await #expect(throws: QueueError.cancelled) { try await producer.value }
        }
        let metrics = queue.metrics()
        #expect(metrics.depth == 1_000)
        #expect(metrics.enqueued <= UInt64(flood))
    }
}
