import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@testable import EventLog
@testable import EventQueue

@Suite struct RingBufferTests {
    @Test func behavesLikeAnArrayUnderRandomOperations() {
        var random = SplitMix64(seed: 7)
        var ring = RingBuffer<Int>()
        var reference: [Int] = []
        for step in 0..<20_000 {
            switch random.next() % 4 {
            case 0, 1:
                ring.append(step)
                reference.append(step)
            case 2:
                #expect(ring.popFirst() == reference.first)
                if !reference.isEmpty { reference.removeFirst() }
            default:
                ring.prepend(-step)
                reference.insert(-step, at: 0)
            }
            #expect(ring.count == reference.count)
        }
        #expect((0..<ring.count).map { ring[$0] } == reference)
    }

    @Test func growingAWrappedRingKeepsEveryObjectOnceAndFreesThemWithIt() {
        final class Token {
            let value: Int
            init(_ value: Int) { self.value = value }
        }
        var watched: [() -> Token?] = []
        do {
            var ring = RingBuffer<Token>()
            var reference: [Int] = []
            for value in 0..<1_000 {
                let token = Token(value)
                watched.append { [weak token] in token }
                ring.append(token)
                reference.append(value)
                // Pops now and then move the head, so that growth meets a wrapped ring.
                if value % 3 == 0, let popped = ring.popFirst() {
                    #expect(popped.value == reference.removeFirst())
                }
            }
            #expect((0..<ring.count).map { ring[$0].value } == reference)
            #expect(watched.filter { $0() != nil }.count == reference.count)
        }
        #expect(watched.allSatisfy { $0() == nil })
    }

    @Test func theHeapPopsInKeyOrderAndKeepsInsertionOrderForTies() {
        var heap = MinHeap<Int>()
        let base = Tick(ContinuousClock.now)
        let keys = [5, 1, 3, 1, 4, 5, 0]
        for (index, key) in keys.enumerated() { heap.insert(index, key: base + .seconds(key)) }
        var popped: [Int] = []
        while let next = heap.popMin() { popped.append(next.element) }
        #expect(popped == [6, 1, 3, 2, 4, 0, 5])
    }

    @Test func ticksRoundTripInstantsAndSaturate() {
        let now = ContinuousClock.now
        let tick = Tick(now)
        #expect(tick.instant == now)
        #expect(Tick(now + .milliseconds(3)) - tick == 3_000_000)
        #expect((tick + .seconds(2)).instant == now + .seconds(2))
        #expect(Tick(nanoseconds: .max) + .seconds(1) == Tick(nanoseconds: .max))
        #expect(Tick(nanoseconds: .max) - Tick(nanoseconds: .min) == .max)
        #expect(Tick(nanoseconds: .min) - Tick(nanoseconds: .max) == .min)
        #expect(Tick(nanoseconds: 1) < Tick(nanoseconds: 2))
    }

    @Test func histogramBucketsBoundTheirValues() {
        for value in [0, 1, 7, 8, 9, 100, 1_000, 123_456, 9_999_999] as [UInt64] {
            let bucket = LatencyHistogram.index(of: value)
            #expect(LatencyHistogram.upperBound(ofBucket: bucket) >= value)
            #expect(Double(LatencyHistogram.upperBound(ofBucket: bucket)) <= Double(value) * 1.125 + 1)
        }
    }
}

@Suite struct QueueEntryLayoutTests {
    /// A ready event costs its lane entry plus its box: the entry holds the element as one
    /// reference, and the lane is its priority.
    @Test func aLaneEntryTakesThirtyTwoBytes() {
        #expect(MemoryLayout<LaneEntry>.stride <= 32)
        #expect(MemoryLayout<LaneEntry?>.stride <= 32)
    }

    @Test func aRetriedEntryKeepsItsAttemptsAndElementInItsLane() {
        let box = ElementBox(7)
        for attempts in [0, 1, 5] {
            let entry = QueueEntry(
                element: box,
                id: EventID(high: 1, low: 2),
                priority: .low,
                attempts: attempts,
                enqueuedAt: Tick(nanoseconds: 9)
            )
            let back = LaneEntry(entry).entry(priority: .low)
            #expect(back.attempts == attempts && back.priority == .low && back.id == entry.id)
            #expect(back.element === box && back.enqueuedAt == entry.enqueuedAt)
        }
    }
}
