import EventBusTestSupport
import EventLog
import EventQueue
import Testing

/// A segment is reserved ahead of its records (zeros the writer fills in place), so that an
/// fsync after a write does not also have to record a growing file size.
@Suite struct SegmentReservationTests {
    func stored(_ value: Int) -> StoredEvent<Int> {
        StoredEvent(element: value, id: id(UInt64(value)), priority: .normal, attempts: 0, notBefore: nil)
    }

    /// The segment file's size and its scan.
    func segment(_ fileSystem: SimulatedFileSystem) throws -> (size: Int, scan: SegmentScan) {
        let name = try #require(try fileSystem.list("/data/mailbox").first { LogFormat.segmentIndex($0) != nil })
        let bytes = try fileSystem.readAll("/data/mailbox/" + name, limit: .max)
        return (bytes.count, LogFormat.scan(bytes, maxRecordSize: DurableMailboxOptions().maxRecordSize))
    }

    func openedLog(_ fileSystem: SimulatedFileSystem) throws -> FileLog<Int> {
        let log = try openLog("/data", fileSystem: fileSystem)
        _ = try log.recover()
        return log
    }

    @Test func aCrashLeavesReservedZerosThatRecoveryReadsAsFreeSpace() async throws {
        let fileSystem = SimulatedFileSystem()
        try fileSystem.makeDirectory("/data")
        let log = try openedLog(fileSystem)
        for value in 1...10 { try await log.append(stored(value)) }
        let written = try segment(fileSystem)
        #expect(written.size == LogFormat.reservationStep)  // reserved ahead, not grown per record
        #expect(written.scan.records.count == 10)
        #expect(written.scan.reservedBytes == written.size - written.scan.validEnd)
        #expect(written.scan.tornBytes == 0)

        fileSystem.powerLoss(seed: 1)  // everything was fsynced: the crash loses nothing
        let reopened = try openLog("/data", fileSystem: fileSystem)
        let recovered = try reopened.recover()
        #expect(recovered.pending.map(\.element) == Array(1...10))
        #expect(reopened.recoveryReport?.truncatedBytes == 0)
        #expect(reopened.recoveryReport?.quarantinedRanges == 0)
        let inspected = try LogInspector(fileSystem: fileSystem).inspect("/data/mailbox", name: "mailbox")
        #expect(inspected.tornBytes.isEmpty && !inspected.isCorrupt)

        // New records go where the old ones end, into the reserved space.
        for value in 11...12 { try await reopened.append(stored(value)) }
        let continued = try segment(fileSystem)
        #expect(continued.scan.records.count == 12)
        #expect(continued.scan.corrupt.isEmpty && continued.scan.tornBytes == 0)
        #expect(continued.size == LogFormat.reservationStep)
        reopened.close()
    }

    @Test func aCleanCloseGivesTheReservedSpaceBack() async throws {
        let fileSystem = SimulatedFileSystem()
        try fileSystem.makeDirectory("/data")
        let log = try openedLog(fileSystem)
        for value in 1...3 { try await log.append(stored(value)) }
        log.close()
        let closed = try segment(fileSystem)
        #expect(closed.size == closed.scan.validEnd)
        #expect(closed.scan.reservedBytes == 0)
    }

    @Test func aTornRecordBeforeTheZerosIsStillATornTail() throws {
        var bytes = LogFormat.header
        LogRecord.ack(id: id(1)).encode(into: &bytes)
        let validEnd = bytes.count
        var torn: [UInt8] = []
        LogRecord.ack(id: id(2)).encode(into: &torn)
        bytes += torn.prefix(torn.count / 2) + [UInt8](repeating: 0, count: 4_096)
        let scan = LogFormat.scan(bytes, maxRecordSize: 1_024)
        #expect(scan.validEnd == validEnd)
        #expect(scan.reservedBytes == 0)
        #expect(scan.tornBytes == bytes.count - validEnd)
    }

    @Test func aFullSegmentGivesItsReservationBackWhenTheNextBegins() async throws {
        let fileSystem = SimulatedFileSystem()
        try fileSystem.makeDirectory("/data")
        let log = try openLog("/data", options: DurableMailboxOptions(segmentSize: 4_096), fileSystem: fileSystem)
        _ = try log.recover()
        for value in 1...200 { try await log.append(stored(value)) }
        let names = try fileSystem.list("/data/mailbox").filter { LogFormat.segmentIndex($0) != nil }
        #expect(names.count > 2)
        for name in names.dropLast() {
            let bytes = try fileSystem.readAll("/data/mailbox/" + name, limit: .max)
            let scan = LogFormat.scan(bytes, maxRecordSize: DurableMailboxOptions().maxRecordSize)
            #expect(scan.reservedBytes == 0, "\(name) kept \(scan.reservedBytes) reserved bytes")
            #expect(scan.tornBytes == 0)
        }
        log.close()
    }
}
