import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@Suite struct TimeAndDedupTests {
    @Test func aDelayedEventIsNotDeliveredBeforeItsTime() async throws {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        try await queue.enqueue(1, id: id(1), notBefore: clock.now + .seconds(30))
        try await queue.enqueue(2, id: id(2))
        #expect(try await queue.takeReady().map(\.element) == [2])
        #expect(queue.metrics().delayed == 1)
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(29))
        #expect(queue.metrics().depth == 0)
        clock.advance(by: .seconds(1))
        #expect(try await queue.next(maxCount: 10)?.map(\.element) == [1])
    }

    @Test func delayedEventsComeOutInDueOrder() async throws {
        let clock = ManualClock()
        let queue = makeQueue(clock: clock)
        try await queue.enqueue(3, id: id(3), notBefore: clock.now + .seconds(3))
        try await queue.enqueue(1, id: id(1), notBefore: clock.now + .seconds(1))
        try await queue.enqueue(2, id: id(2), notBefore: clock.now + .seconds(2))
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(5))
        var received: [Int] = []
        while received.count < 3 { received += try await queue.next(maxCount: 10)?.map(\.element) ?? [] }
        #expect(received == [1, 2, 3])
    }

    @Test func dedupByCountDropsRepeatsInsideTheWindow() async throws {
        let queue = makeQueue(dedup: DedupWindow(count: 2))
        #expect(try await queue.enqueue(1, id: id(1)) == .enqueued)
        #expect(try await queue.enqueue(1, id: id(1)) == .duplicate)
        #expect(try await queue.enqueue(2, id: id(2)) == .enqueued)
        #expect(try await queue.enqueue(3, id: id(3)) == .enqueued)
        // id 1 has left the two-id window.
        #expect(try await queue.enqueue(1, id: id(1)) == .enqueued)
        #expect(queue.metrics().deduplicated == 1)
        #expect(try await queue.takeReady().map(\.element) == [1, 2, 3, 1])
    }

    @Test func dedupByTimeForgetsAfterTheDuration() async throws {
        let clock = ManualClock()
        let queue = makeQueue(dedup: DedupWindow(duration: .seconds(60)), clock: clock)
        #expect(try await queue.enqueue(1, id: id(1)) == .enqueued)
        clock.advance(by: .seconds(59))
        #expect(try await queue.enqueue(1, id: id(1)) == .duplicate)
        clock.advance(by: .seconds(1))
        #expect(try await queue.enqueue(1, id: id(1)) == .enqueued)
    }

    @Test func aDroppedEventDoesNotEnterTheDedupWindow() async throws {
        let queue = makeQueue(capacity: .bounded(1, overflow: .dropNewest), dedup: DedupWindow(count: 10))
        try await queue.enqueue(1, id: id(1))
        #expect(try await queue.enqueue(2, id: id(2)) == .droppedNewest)
        _ = try await queue.takeReady()
        #expect(try await queue.enqueue(2, id: id(2)) == .enqueued)
    }
}
