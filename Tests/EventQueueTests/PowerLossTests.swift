import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@Suite struct PowerLossTests {
    /// Thousands of seeded power cuts at every stage of publish, ack, segment roll-over and
    /// compaction: nothing acknowledged to a publisher is lost, nothing corrupt is delivered.
    @Test(arguments: 0..<4)
    func nothingAcknowledgedIsLostAndNothingCorruptIsDelivered(shard: Int) async {
        var acknowledged = 0
        for seed in stride(from: UInt64(shard), to: 3_000, by: 4) {
            let outcome = await PowerLossCheck.run(seed: seed)
            #expect(outcome.lost == 0, "seed \(seed): lost \(outcome.lost) of \(outcome.acknowledged)")
            #expect(outcome.corrupt == 0, "seed \(seed): \(outcome.corrupt) corrupt records delivered")
            acknowledged += outcome.acknowledged
        }
        #expect(acknowledged > 0)
    }

    @Test func thePowerLossReallyLosesUnsyncedData() async throws {
        var sizes = Set<Int>()
        var sawZeroedSector = false
        for seed in 0..<64 as Range<UInt64> {
            let copy = SimulatedFileSystem()
            try copy.makeDirectory("/d")
            let copyFD = try copy.openForWriting("/d/f", create: true)
            try copy.write(copyFD, [UInt8](repeating: 1, count: 100), at: 0, path: "/d/f")
            try copy.sync(copyFD, path: "/d/f")
            try copy.syncDirectory("/d")
            try copy.write(copyFD, [UInt8](repeating: 2, count: 5_000), at: 100, path: "/d/f")
            copy.powerLoss(seed: seed)
            let data = try copy.readAll("/d/f", limit: .max)
            #expect(data.prefix(100) == ArraySlice(repeating: 1, count: 100), "synced bytes survive")
            sizes.insert(data.count)
            if data.dropFirst(100).contains(0) { sawZeroedSector = true }
        }
        #expect(sizes.count > 3)
        #expect(sawZeroedSector)
    }
}
