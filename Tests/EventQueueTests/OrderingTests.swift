import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@Suite struct OrderingTests {
    @Test func fifoWithinALane() async throws {
        let queue = makeQueue()
        for value in 1...100 { try await queue.enqueue(value, id: id(UInt64(value))) }
        let taken = try await queue.takeReady()
        #expect(taken.map(\.element) == Array(1...100))
        #expect(taken.allSatisfy { $0.attempt == 1 })
    }

    @Test func higherLanesFirst() async throws {
        let queue = makeQueue()
        try await queue.enqueue(1, id: id(1), priority: .low)
        try await queue.enqueue(2, id: id(2), priority: .normal)
        try await queue.enqueue(3, id: id(3), priority: .high)
        try await queue.enqueue(4, id: id(4), priority: .normal)
        let taken = try await queue.takeReady()
        #expect(taken.map(\.element) == [3, 2, 4, 1])
    }

    @Test func aWaitingLowerLaneIsServedWithinTheStarvationLimit() async throws {
        let queue = makeQueue()
        try await queue.enqueue(0, id: id(1000), priority: .low)
        for value in 1...40 { try await queue.enqueue(value, id: id(UInt64(value)), priority: .high) }
        let taken = try await queue.takeReady()
        let position = try #require(taken.firstIndex { $0.element == 0 })
        #expect(position == Priority.starvationLimit)
        // The high lane itself stays FIFO.
        #expect(taken.filter { $0.priority == .high }.map(\.element) == Array(1...40))
    }

    @Test func everyWaitingLaneIsServedWhenThreeCompete() async throws {
        let queue = makeQueue()
        for value in 0..<30 {
            try await queue.enqueue(value, id: id(UInt64(value)), priority: .high)
            try await queue.enqueue(100 + value, id: id(UInt64(100 + value)), priority: .normal)
            try await queue.enqueue(200 + value, id: id(UInt64(200 + value)), priority: .low)
        }
        let first = try await queue.next(maxCount: 30) ?? []
        #expect(first.contains { $0.priority == .normal })
        #expect(first.contains { $0.priority == .low })
        #expect(first.filter { $0.priority == .high }.count > first.filter { $0.priority == .normal }.count)
    }

    /// The guide's rule for three lanes: due lanes take turns, highest first; a waiting lane is
    /// served at least once every 10 deliveries with three lanes waiting, every 9 with two.
    @Test func threeWaitingLanesTakeTurnsWithinTheirBounds() async throws {
        let queue = makeQueue()
        for value in 0..<40 {
            try await queue.enqueue(value, id: id(UInt64(value)), priority: .high)
            try await queue.enqueue(100 + value, id: id(UInt64(100 + value)), priority: .normal)
            try await queue.enqueue(200 + value, id: id(UInt64(200 + value)), priority: .low)
        }
        let taken = try await queue.takeReady()
        let lanes = taken.map(\.priority)
        let cycle: [Priority] = Array(repeating: .high, count: 8) + [.normal, .low]
        #expect(Array(lanes.prefix(30)) == cycle + cycle + cycle)
        // While all three wait (the first 40 high deliveries and what they let through), no
        // lower lane waits more than 10 deliveries.
        let whileHighWaits = try #require(taken.firstIndex { $0.element == 39 })
        for lane in [Priority.normal, .low] {
            let served = lanes.indices.filter { lanes[$0] == lane && $0 <= whileHighWaits }
            let gaps = zip([-1] + served, served).map { $1 - $0 }
            #expect(gaps.allSatisfy { $0 <= 10 }, "\(lane): \(gaps)")
        }
        // Each lane stays FIFO.
        for lane in Priority.allCases {
            let values = taken.filter { $0.priority == lane }.map(\.element)
            #expect(values == values.sorted())
        }
    }

    /// With two lanes waiting (high and low, normal empty), low is served every 9 deliveries.
    @Test func twoWaitingLanesServeTheLowerOneEveryNineDeliveries() async throws {
        let queue = makeQueue()
        for value in 0..<40 {
            try await queue.enqueue(value, id: id(UInt64(value)), priority: .high)
            try await queue.enqueue(200 + value, id: id(UInt64(200 + value)), priority: .low)
        }
        let taken = try await queue.takeReady()
        let lanes = taken.map(\.priority)
        let cycle: [Priority] = Array(repeating: .high, count: 8) + [.low]
        #expect(Array(lanes.prefix(36)) == cycle + cycle + cycle + cycle)
    }

    @Test func batchesAreLimitedByMaxCount() async throws {
        let queue = makeQueue()
        for value in 1...10 { try await queue.enqueue(value, id: id(UInt64(value))) }
        #expect(try await queue.next(maxCount: 4)?.map(\.element) == [1, 2, 3, 4])
        #expect(try await queue.next(maxCount: 4)?.map(\.element) == [5, 6, 7, 8])
        #expect(try await queue.next(maxCount: 4)?.map(\.element) == [9, 10])
    }

    @Test func aWaitingConsumerIsWokenByAnEnqueue() async throws {
        let queue = makeQueue()
        async let taken = queue.next(maxCount: 10)
        try await queue.enqueue(7, id: id(7))
        #expect(try await taken?.map(\.element) == [7])
    }

    @Test func closeDeliversWhatIsLeftThenEnds() async throws {
        let queue = makeQueue()
        try await queue.enqueue(1, id: id(1))
        try await queue.enqueue(2, id: id(2))
        queue.close()
        await #expect(throws: QueueError.closed) { try await queue.enqueue(3, id: id(3)) }
        #expect(try await queue.next()?.map(\.element) == [1, 2])
        #expect(try await queue.next() == nil)
    }

    @Test func terminateEndsConsumersAtOnce() async throws {
        let queue = makeQueue()
        try await queue.enqueue(1, id: id(1))
        queue.terminate()
        #expect(try await queue.next() == nil)
    }

    @Test func aCancelledConsumerGetsNil() async throws {
        let queue = makeQueue()
        let consumer = Task { try await queue.next() }
        consumer.cancel()
        #expect(try await consumer.value == nil)
        // The queue still works for others.
        try await queue.enqueue(1, id: id(1))
        #expect(try await queue.next()?.map(\.element) == [1])
    }
}
