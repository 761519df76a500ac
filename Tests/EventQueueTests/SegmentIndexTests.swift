import Testing

@testable import EventQueue

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
