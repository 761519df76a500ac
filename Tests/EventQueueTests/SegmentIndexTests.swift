import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@testable import EventLog

/// The log's id → segment table against `Dictionary` as the reference model.
@Suite struct SegmentIndexTests {
    @Test(arguments: [1, 2, 3])
    func agreesWithADictionaryOverRandomSetsUpdatesAndRemovals(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var index = SegmentIndex()
        var model: [EventID: UInt64] = [:]
        // A small id space so that updates, re-insertions after removal and misses are common;
        // two nonces so that ids differ in both halves.
        func anyID() -> EventID {
            EventID(high: random.next() % 2 == 0 ? 7 : 0xFFFF_0000_1234, low: random.next() % 3_000)
        }
        for step in 0..<60_000 {
            let id = anyID()
            switch random.next() % 10 {
            case 0..<5:
                let segment = random.next() % 50
                index.set(id, segment: segment)
                model[id] = segment
            case 5..<8:
                #expect(index.remove(id) == model.removeValue(forKey: id), "step \(step)")
            default:
                #expect(index[id] == model[id], "step \(step)")
            }
            #expect(index.count == model.count)
        }
        for (id, segment) in model { #expect(index[id] == segment) }
    }

    @Test func aFIFOBacklogThatIsAddedAndRemovedForeverStaysFindable() {
        var index = SegmentIndex()
        for value in 0..<200_000 as Range<UInt64> {
            index.set(EventID(high: 1, low: value), segment: value / 1_000)
            if value >= 100 {
                #expect(index.remove(EventID(high: 1, low: value - 100)) == (value - 100) / 1_000)
            }
        }
        #expect(index.count == 100)
        #expect(index[EventID(high: 1, low: 199_999)] == 199)
        #expect(index[EventID(high: 1, low: 0)] == nil)
    }

    @Test func idsOfSeveralGeneratorsInterleavedAreAllFoundAndRemoved() {
        // Runs of consecutive counters share neighbouring slots; four generators' runs must not
        // lose or confuse entries where they meet.
        var index = SegmentIndex()
        let highs: [UInt64] = [1, 0xDEAD_BEEF, 0x8000_0000_0000_0001, 42]
        for low in 1...50_000 as ClosedRange<UInt64> {
            for (position, high) in highs.enumerated() {
                index.set(EventID(high: high, low: low), segment: UInt64(position))
            }
        }
        #expect(index.count == 200_000)
        for low in stride(from: 1, through: 50_000, by: 7) as StrideThrough<UInt64> {
            for (position, high) in highs.enumerated() {
                #expect(index[EventID(high: high, low: low)] == UInt64(position))
            }
        }
        for low in 1...50_000 as ClosedRange<UInt64> {
            for (position, high) in highs.enumerated().reversed() {
                #expect(index.remove(EventID(high: high, low: low)) == UInt64(position))
            }
        }
        #expect(index.count == 0)
    }
}

extension SegmentIndexTests {
    @Test func aRunOfIdsCutBySegmentRollsKeepsEachIdsOwnSegment() {
        // Ids 0..<64 share a chunk; the log rolls at 20 and again at 40, and one id is set twice.
        var index = SegmentIndex()
        for low in 0..<64 as Range<UInt64> { index.set(EventID(high: 9, low: low), segment: low / 20) }
        index.set(EventID(high: 9, low: 5), segment: 3)
        #expect(index.count == 64)
        #expect(index[EventID(high: 9, low: 5)] == 3)
        #expect(index[EventID(high: 9, low: 19)] == 0)
        #expect(index[EventID(high: 9, low: 20)] == 1)
        #expect(index[EventID(high: 9, low: 63)] == 3)
        // Removing every id of the chunk's own segment first leaves the others findable.
        for low in 0..<20 as Range<UInt64> where low != 5 {
            #expect(index.remove(EventID(high: 9, low: low)) == 0)
        }
        for low in 20..<64 as Range<UInt64> { #expect(index.remove(EventID(high: 9, low: low)) == low / 20) }
        #expect(index.remove(EventID(high: 9, low: 5)) == 3)
        #expect(index.remove(EventID(high: 9, low: 5)) == nil)
        #expect(index.count == 0)
    }
}
