import CommandLineSupport
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Testing

/// Eight little-endian bytes per Int; anything else does not decode.
struct IntCodec: RecordCodec {
    struct Malformed: Error {}

    func encode(_ element: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(UInt64(bitPattern: Int64(element)))
        return bytes
    }

    func decode(_ bytes: [UInt8]) throws -> Int {
        guard bytes.count == 8 else { throw Malformed() }
        var reader = ByteReader(bytes[...])
        return Int(Int64(bitPattern: reader.uint64()!))
    }
}

/// A fresh private directory under the system temporary directory; each test removes its own
/// (`defer`), so that test runs leave nothing behind.
func temporaryDirectory() throws -> String {
    try ScratchDirectory.create(prefix: "eventbus-test").path
}

func openLog(
    _ directory: String,
    name: String = "mailbox",
    sync: SyncPolicy = .always,
    options: DurableMailboxOptions = DurableMailboxOptions(),
    fileSystem: any FileSystem = PosixFileSystem(),
    inlineSyncs: InlineSyncLimit = InlineSyncLimit()
) throws -> FileLog<Int> {
    try FileLog(
        directory: directory,
        name: name,
        sync: sync,
        codec: IntCodec(),
        options: options,
        fileSystem: fileSystem,
        inlineSyncs: inlineSyncs
    )
}

func trackedConfiguration(maxAttempts: Int = 3) -> QueueConfiguration {
    QueueConfiguration(
        capacity: .bounded(100_000, overflow: .suspendPublisher),
        acknowledgement: .explicit(visibilityTimeout: nil),
        retry: .immediate(maxAttempts: maxAttempts),
        dedup: DedupWindow(count: 1_000)
    )
}

/// A tracked queue on a `FileLog` in `directory` (the shape of almost every durable test).
func openQueue(
    _ directory: String,
    sync: SyncPolicy = .always,
    options: DurableMailboxOptions = DurableMailboxOptions(),
    fileSystem: any FileSystem = PosixFileSystem(),
    maxAttempts: Int = 3
) async throws -> WorkQueue<Int> {
    try await WorkQueue.open(
        name: "q",
        configuration: trackedConfiguration(maxAttempts: maxAttempts),
        storage: try openLog(directory, sync: sync, options: options, fileSystem: fileSystem)
    )
}

/// The real file system, with writes and fsyncs counted and, while the gate is closed, fsyncs
/// held back. A caller that flushes on its own thread blocks that pool thread at the gate, so
/// only one test closes a gate that way: two at once could hold both threads of a two-core
/// machine's cooperative pool, and neither test could run to open its gate.
final class GatedFileSystem: ForwardingFileSystem {
    private struct State {
        var writes = 0
        var syncs = 0
        var closed = false
        var blocked = false
    }
    let base = PosixFileSystem()
    private let state = Locked(State())
    private let gate = DispatchSemaphore(value: 0)

    var syncs: Int { state.withLock { $0.syncs } }
    var writes: Int { state.withLock { $0.writes } }
    var isBlocked: Bool { state.withLock { $0.blocked } }
    func closeGate() { state.withLock { $0.closed = true } }
    func openGate() {
        let wasBlocked = state.withLock { state in
            state.closed = false
            return state.blocked
        }
        if wasBlocked { gate.signal() }
    }

    package func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(StoreFailure) {
        state.withLock { $0.writes += 1 }
        try base.write(fd, bytes, at: offset, path: path)
    }

    package func sync(_ fd: Int32, path: String) throws(StoreFailure) {
        let wait = state.withLock { state in
            state.syncs += 1
            if state.closed { state.blocked = true }
            return state.closed
        }
        if wait {
            gate.wait()
            state.withLock { $0.blocked = false }
        }
        try base.sync(fd, path: path)
    }
}

@Suite struct FileLogTests {
    /// Publishers that arrive while an fsync is running share the next one (group commit), none
    /// is told its event is stored before an fsync that covers it, and the first of a released
    /// group back waits for the group rather than taking an fsync alone.
    @Test(.timeLimit(.minutes(1)))
    func appendsArrivingDuringAnFsyncShareTheNextOne() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fileSystem = GatedFileSystem()
        let log = try openLog(directory, sync: .always, fileSystem: fileSystem)
        _ = try log.recover()
        func stored(_ value: Int) -> StoredEvent<Int> {
            StoredEvent(element: value, id: id(UInt64(value)), priority: .normal, attempts: 0, notBefore: nil)
        }
        let before = fileSystem.syncs
        fileSystem.closeGate()
        let acknowledged = Locked(0)
        let first = Task {
            try await log.append(stored(1))
            acknowledged.withLock { $0 += 1 }
        }
        while !fileSystem.isBlocked {
            try Task.checkCancellation()
            await Task.yield()
        }
        let others = (2...5).map { value in
            Task {
                try await log.append(stored(value))
                acknowledged.withLock { $0 += 1 }
            }
        }
        while log.bufferedWaiters < 4 {
            try Task.checkCancellation()
            await Task.yield()
        }
        // The fsync is held back: nobody has been told that their event is stored.
        #expect(acknowledged.withLock { $0 } == 0)
        fileSystem.openGate()
        try await first.value
        for other in others { try await other.value }
        #expect(fileSystem.syncs - before == 2)
        // 2...5 were released by one fsync: the first caller back (6) does not take an fsync
        // alone on its own thread; a flush on the I/O queue waits for the group, and here, with
        // nobody else coming, for one fsync's time at most.
        let inline = log.inlineFlushes
        try await log.append(stored(6))
        #expect(fileSystem.syncs - before == 3)
        #expect(log.inlineFlushes == inline)
        log.close()
        let reopened = try openLog(directory)
        // 2...5 raced each other; all six are there, 1 first and 6 last.
        let recovered = try reopened.recover().pending.map(\.element)
        #expect(recovered.first == 1 && recovered.last == 6 && recovered.sorted() == [1, 2, 3, 4, 5, 6])
        reopened.close()
    }

    /// Logs sharing an ``InlineSyncLimit`` of one: while another caller holds the place, a
    /// caller that finds its log idle still hands its records to the log's I/O queue; once the
    /// place is free, the next one flushes on its own thread.
    @Test func theInlineSyncLimitIsSharedBetweenLogs() async throws {
        let limit = InlineSyncLimit(threads: 1)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try openLog(directory, inlineSyncs: limit)
        _ = try log.recover()
        func stored(_ value: Int) -> StoredEvent<Int> {
            StoredEvent(element: value, id: id(UInt64(value)), priority: .normal, attempts: 0, notBefore: nil)
        }
        #expect(limit.take())  // another log's caller is writing on its own thread
        #expect(!limit.take())
        try await log.append(stored(1))
        #expect(log.inlineFlushes == 0)
        limit.give()
        try await log.append(stored(2))
        #expect(log.inlineFlushes == 1)
        #expect(limit.taken == 0)
        log.close()
        let reopened = try openLog(directory)
        #expect(try reopened.recover().pending.map(\.element) == [1, 2])
        reopened.close()
    }

    /// A limit of zero: every write and fsync runs on the log's I/O queue, and every append is
    /// still stored before it returns.
    @Test(arguments: [SyncPolicy.always, .none])
    func aLimitOfZeroKeepsEveryFlushOffTheCallersThread(sync: SyncPolicy) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try openLog(directory, sync: sync, inlineSyncs: InlineSyncLimit(threads: 0))
        _ = try log.recover()
        for value in 1...5 {
            try await log.append(
                StoredEvent(element: value, id: id(UInt64(value)), priority: .normal, attempts: 0, notBefore: nil)
            )
        }
        #expect(log.inlineFlushes == 0)
        log.close()
        let reopened = try openLog(directory)
        #expect(try reopened.recover().pending.map(\.element) == [1, 2, 3, 4, 5])
        reopened.close()
    }

    @Test func everyRecordKindRoundTrips() {
        let id = EventID(high: 0xDEAD_BEEF, low: 42)
        let records: [LogRecord] = [
            .append(id: id, sequence: 7, priority: .high, attempts: 2, notBefore: 123, body: [1, 2, 3]),
            .append(id: id, sequence: 8, priority: .low, attempts: 0, notBefore: nil, body: []),
            .ack(id: id), .attempt(id: id, attempt: 5), .reschedule(id: id, notBefore: -9),
            .reschedule(id: id, notBefore: nil), .dead(id: id, reason: "poison ☠︎"), .requeue(id: id), .seen(id: id),
        ]
        for record in records {
            let bytes = record.encode()
            let decoded = LogFormat.record(in: bytes, at: 0, maxRecordSize: 1 << 20)
            #expect(decoded?.0 == record)
            #expect(decoded?.1 == bytes.count)
        }
    }

    /// With `.always` a writer that finds the log idle flushes on its own thread; one that
    /// races a `close()` must either be stored or refused, never told it is stored and lost.
    @Test(.timeLimit(.minutes(1)), arguments: [SyncPolicy.always, .none])
    func appendsRacingACloseAreEitherStoredOrRefused(sync: SyncPolicy) async throws {
        for round in 0..<20 {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let log = try openLog(directory, sync: sync)
            _ = try log.recover()
            let accepted = Locked<[Int]>([])
            await withTaskGroup(of: Void.self) { group in
                for value in 1...20 {
                    group.addTask {
                        let event = StoredEvent(
                            element: value,
                            id: id(UInt64(value)),
                            priority: .normal,
                            attempts: 0,
                            notBefore: nil
                        )
                        if (try? await log.append(event)) != nil { accepted.withLock { $0.append(value) } }
                    }
                }
                group.addTask { log.close() }
            }
            let reopened = try openLog(directory, sync: sync)
            let recovered = Set(try reopened.recover().pending.map(\.element))
            #expect(Set(accepted.withLock { $0 }).isSubset(of: recovered), "round \(round)")
            reopened.close()
        }
    }

    /// Found by the fuzzer: invalid UTF-8 in a stored reason decodes to U+FFFD (three bytes
    /// each) and the longer reason must still survive another round trip.
    @Test func aDeadLetterReasonSurvivesEveryRoundTrip() {
        let id = EventID(high: 1, low: 1)
        var payloads: [[UInt8]] = []
        payloads.append([5] + Array(repeating: 0, count: 16) + Array(repeating: 0xFF, count: 1_600))
        payloads.append([5] + Array(repeating: 0, count: 16) + Array(String(repeating: "é", count: 3_000).utf8))
        payloads.append([5] + Array(repeating: 0, count: 16) + Array("short".utf8))
        for payload in payloads {
            let record = LogRecord.decode(payload[...])
            guard case .dead(_, let reason, _)? = record else {
                Issue.record("not a dead record")
                continue
            }
            #expect(reason.utf8.count <= LogRecord.maxReasonBytes)
            #expect(LogRecord.decode(record!.encodePayload()[...]) == record)
        }
        let long = LogRecord.dead(id: id, reason: String(repeating: "€", count: 2_000))
        guard case .dead(_, let kept, _)? = LogRecord.decode(long.encodePayload()[...]) else {
            Issue.record("not a dead record")
            return
        }
        #expect(kept == String(repeating: "€", count: LogRecord.maxReasonBytes / 3))
    }

    /// `.batched` writes a group once it holds `count` records, however many callers brought
    /// them: one batch as large as `count` does not wait for the interval.
    @Test(.timeLimit(.minutes(1)))
    func aBatchAsLargeAsTheGroupCountIsWrittenAtOnce() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try openLog(directory, sync: .batched(interval: .seconds(3_600), count: 10))
        _ = try log.recover()
        let events = (1...10).map {
            StoredEvent(element: $0, id: id(UInt64($0)), priority: .normal, attempts: 0, notBefore: nil)
        }
        try await log.append(contentsOf: events)
        log.close()
        let reopened = try openLog(directory)
        #expect(try reopened.recover().pending.map(\.element) == Array(1...10))
        reopened.close()
    }

    @Test func theChecksumIsCRC32CAtEveryLengthAndAlignment() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        func reference(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = ~0
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = (crc & 1) == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                #expect(CRC32C.checksum(bytes[start..<end]) == reference(bytes[start..<end]))
                // The tables agree with the CPU's instructions (the path used where it has them).
                let tables = bytes[start..<end].withUnsafeBytes { CRC32C.checksumWithTables($0) }
                #expect(tables == reference(bytes[start..<end]))
                // A seed continues a checksum across a split.
                let split = (start + end) / 2
                #expect(
                    CRC32C.checksum(bytes[split..<end], seed: CRC32C.checksum(bytes[start..<split]))
                        == reference(bytes[start..<end])
                )
            }
        }
        // A sequence without contiguous storage takes the same path.
        #expect(CRC32C.checksum(bytes.lazy.map { $0 }) == reference(bytes[...]))
    }

    @Test func recordsEncodedIntoOneBufferFollowEachOtherAndKeepWhatWasThere() {
        let id = EventID(high: 1, low: 2)
        let records: [LogRecord] = [
            .append(id: id, sequence: 1, priority: .normal, attempts: 1, notBefore: nil, body: Array("body".utf8)),
            .attempt(id: id, attempt: 2), .dead(id: id, reason: "no"), .ack(id: id),
        ]
        var buffer = LogFormat.header
        for record in records { record.encode(into: &buffer) }
        #expect(buffer.starts(with: LogFormat.header))
        var offset = LogFormat.headerSize
        var decoded: [LogRecord] = []
        while let (record, next) = LogFormat.record(in: buffer, at: offset, maxRecordSize: 1 << 20) {
            decoded.append(record)
            offset = next
        }
        #expect(decoded == records)
        #expect(offset == buffer.count)
        #expect(Array(buffer[LogFormat.headerSize...]) == records.flatMap { $0.encode() })
    }

    @Test func aRecordFramedInPlaceIsTheEncodedRecordAndAThrowingBodyLeavesNothing() {
        struct Refused: Error {}
        let id = EventID(high: 3, low: 4)
        var buffer: [UInt8] = [9, 9]
        let bodySize = LogRecord.appendFrame(
            id: id,
            sequence: 77,
            priority: .high,
            attempts: 2,
            notBefore: 1_234,
            into: &buffer
        ) { bytes in bytes += Array("body".utf8) }
        let record = LogRecord.append(
            id: id,
            sequence: 77,
            priority: .high,
            attempts: 2,
            notBefore: 1_234,
            body: Array("body".utf8)
        )
        #expect(bodySize == 4)
        #expect(buffer == [9, 9] + record.encode())
        #expect(throws: Refused.self) {
            try LogRecord.appendFrame(
                id: id,
                sequence: 78,
                priority: .normal,
                attempts: 0,
                notBefore: nil,
                into: &buffer
            ) {
                bytes in
                bytes += [1, 2, 3]
                throw Refused()
            }
        }
        #expect(buffer == [9, 9] + record.encode())
    }

    @Test(arguments: [SyncPolicy.always, .batched(interval: .milliseconds(1), count: 10), .none])
    func appendedEventsSurviveAReopen(sync: SyncPolicy) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await openQueue(directory, sync: sync)
        for value in 1...50 { try await first.enqueue(value, id: EventID(high: 1, low: UInt64(value))) }
        first.terminate()
        let second = try await openQueue(directory, sync: sync)
        #expect(try await second.takeReady().map(\.element) == Array(1...50))
    }

    @Test func anAcknowledgedEventIsNotRedeliveredAfterACleanShutdown() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await openQueue(directory)
        for value in 1...4 { try await first.enqueue(value, id: EventID(high: 1, low: UInt64(value))) }
        for lease in try await first.next(maxCount: 2) ?? [] { try await first.ack(lease) }
        first.terminate()
        let second = try await openQueue(directory)
        #expect(try await second.takeReady().map(\.element) == [3, 4])
    }

    @Test func attemptsAndDeadLettersArePersisted() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await openQueue(directory, maxAttempts: 2)
        try await first.enqueue(1, id: EventID(high: 1, low: 1))
        try await first.enqueue(2, id: EventID(high: 1, low: 2))
        let leases = try await first.takeReady()
        try await first.nack(leases[0], reason: "first failure")
        let retried = try await first.takeReady()
        try await first.nack(retried[0], reason: "poison")
        // Event 2 was delivered once and not settled when the process "died".
        first.terminate(releasingInFlight: false)
        let second = try await openQueue(directory, maxAttempts: 2)
        #expect(second.deadLetters().map(\.element) == [1])
        #expect(second.deadLetters().first?.reason == "poison")
        let again = try await second.takeReady()
        #expect(again.map(\.element) == [2])
        // The crash cut off attempt 1: it does not count, and recovery says so.
        #expect(again.map(\.attempt) == [1])
        #expect(second.recoveryReport?.interrupted == 1)
        second.terminate(releasingInFlight: true)
        // Given back at a clean stop: no crash is counted, and the attempt does not count either.
        let third = try await openQueue(directory, maxAttempts: 2)
        #expect(third.recoveryReport?.interrupted == 1)
        #expect(try await third.takeReady().map(\.attempt) == [1])
        third.terminate(releasingInFlight: true)
        let fourth = try await openQueue(directory, maxAttempts: 2)
        #expect(fourth.recoveryReport?.interrupted == 1)
        #expect(fourth.recoveryReport?.deadLetteredAfterCrashes == [])
    }

    @Test func dedupSurvivesARestart() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await openQueue(directory)
        try await first.enqueue(1, id: EventID(high: 1, low: 1))
        first.terminate()
        let second = try await openQueue(directory)
        #expect(try await second.enqueue(1, id: EventID(high: 1, low: 1)) == .duplicate)
    }

    @Test func aTornTailAtEveryOffsetOfTheLastRecordIsCutAndNothingElseIsLost() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try openLog(directory)
        let queue = try await WorkQueue.open(name: "q", configuration: trackedConfiguration(), storage: log)
        for value in 1...3 { try await queue.enqueue(value, id: EventID(high: 1, low: UInt64(value))) }
        queue.terminate()
        let segment = directory + "/mailbox/" + LogFormat.segmentName(1)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        let scan = LogFormat.scan(original, maxRecordSize: 1 << 20)
        let lastStart = try #require(scan.records.last?.offset)
        for cut in lastStart..<original.count {
            try Data(original[0..<cut]).write(to: URL(fileURLWithPath: segment))
            let reopened = try openLog(directory)
            let recovered = try reopened.recover()
            #expect(recovered.pending.map(\.element) == [1, 2])
            #expect(reopened.recoveryReport?.truncatedBytes == cut - lastStart)
            reopened.close()
            let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int
            #expect(size == lastStart)
        }
    }

    @Test func aFlippedBitAnywhereInARecordIsNeverDelivered() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = try await openQueue(directory)
        for value in [111, 222, 333] { try await queue.enqueue(value, id: EventID(high: 1, low: UInt64(value))) }
        queue.terminate()
        let segment = directory + "/mailbox/" + LogFormat.segmentName(1)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        let scan = LogFormat.scan(original, maxRecordSize: 1 << 20)
        let middle = scan.records[1].offset..<scan.records[2].offset
        for position in middle {
            for bit in 0..<8 {
                var damaged = original
                damaged[position] ^= UInt8(1 << bit)
                try Data(damaged).write(to: URL(fileURLWithPath: segment))
                let reopened = try openLog(directory)
                let values = try reopened.recover().pending.map(\.element)
                // The damaged record never comes back; the records around it always do.
                #expect(values == [111, 333])
                #expect(reopened.recoveryReport?.quarantinedRanges == 1)
                reopened.close()
            }
        }
    }

    @Test func fullyAcknowledgedSegmentsAreDeleted() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let options = DurableMailboxOptions(segmentSize: 4_096)
        let queue = try await openQueue(directory, sync: .none, options: options)
        for value in 0..<500 { try await queue.enqueue(value, id: EventID(high: 1, low: UInt64(value))) }
        let segmentsBefore = try FileManager.default.contentsOfDirectory(atPath: directory + "/mailbox")
            .filter { $0.hasPrefix("segment-") }
        #expect(segmentsBefore.count > 3)
        while let batch = try await queue.next(maxCount: 100), !batch.isEmpty {
            for lease in batch { try await queue.ack(lease) }
            if queue.metrics().depth == 0 { break }
        }
        // One more write lets the log roll and compact.
        try await queue.enqueue(999, id: EventID(high: 2, low: 1))
        let segmentsAfter = try FileManager.default.contentsOfDirectory(atPath: directory + "/mailbox")
            .filter { $0.hasPrefix("segment-") }
        #expect(segmentsAfter.count <= 2)
        queue.terminate()
        let reopened = try await openQueue(directory, options: options)
        #expect(try await reopened.takeReady().map(\.element) == [999])
    }

    @Test func directoriesAre0700AndFiles0600() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = try await openQueue(directory)
        try await queue.enqueue(1, id: EventID(high: 1, low: 1))
        let mailbox = directory + "/mailbox"
        let dirMode = try FileManager.default.attributesOfItem(atPath: mailbox)[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: mailbox) {
            let mode = try FileManager.default.attributesOfItem(atPath: mailbox + "/" + name)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name)")
        }
        queue.terminate()
    }

    @Test func aDirectoryWritableByOthersIsRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/open", withIntermediateDirectories: false)
        chmod(directory + "/open", 0o777)
        #expect(throws: StoreFailure.self) { try openLog(directory, name: "open") }
    }

    @Test func aSymlinkedMailboxIsRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let target = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: target) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: target)
        #expect(throws: StoreFailure.self) { try openLog(directory, name: "link") }
    }

    @Test(arguments: ["", "..", "a/b", "../escape", "sp ace", String(repeating: "n", count: 129)])
    func invalidNamesAreRefused(name: String) throws {
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        #expect(throws: StoreFailure.invalidName(name)) { try openLog(scratch, name: name) }
    }

    @Test func aSecondOpenOfTheSameMailboxIsRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try openLog(directory)
        #expect(throws: StoreFailure.locked(path: directory + "/mailbox/LOCK")) { try openLog(directory) }
        first.close()
        try openLog(directory).close()
    }

    @Test func anOversizedEventIsRefusedBeforeWriting() async throws {
        struct Big: RecordCodec {
            func encode(_ element: Int) throws -> [UInt8] { [UInt8](repeating: 7, count: element) }
            func decode(_ bytes: [UInt8]) throws -> Int { bytes.count }
        }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try FileLog(
            directory: directory,
            name: "big",
            sync: .always,
            codec: Big(),
            options: DurableMailboxOptions(maxRecordSize: 1_000)
        )
        let queue = try await WorkQueue.open(name: "q", configuration: trackedConfiguration(), storage: log)
        await #expect(throws: QueueError.self) { try await queue.enqueue(5_000, id: EventID(high: 1, low: 1)) }
        try await queue.enqueue(10, id: EventID(high: 1, low: 2))
        #expect(try await queue.takeReady().map(\.element) == [10])
    }

    @Test func anUndecodableRecordGoesToTheDeadLettersNotTheConsumer() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = try await openQueue(directory)
        try await queue.enqueue(1, id: EventID(high: 1, low: 1))
        queue.terminate()
        // Append a well-formed record whose body the codec refuses (3 bytes, not 8).
        let segment = directory + "/mailbox/" + LogFormat.segmentName(1)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
        try handle.seekToEnd()
        try handle.write(
            contentsOf: LogRecord.append(
                id: EventID(high: 9, low: 9),
                sequence: 99,
                priority: .normal,
                attempts: 0,
                notBefore: nil,
                body: [1, 2, 3]
            ).encode()
        )
        try handle.close()
        let log = try openLog(directory)
        let reopened = try await WorkQueue.open(name: "q", configuration: trackedConfiguration(), storage: log)
        #expect(try await reopened.takeReady().map(\.element) == [1])
        #expect(log.recoveryReport?.undecodable == [EventID(high: 9, low: 9)])
        reopened.terminate()
        // It stays out of the way on the next open too.
        let again = try openLog(directory)
        #expect(try again.recover().pending.map(\.element) == [1])
        again.close()
    }
}

@Suite struct CrossProcessLockTests {
    /// Runs `flock -n LOCK true` in another process: it fails while this process holds the mailbox.
    private func otherProcessCanLock(_ path: String) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        process.arguments = ["-n", path, "true"]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func anotherProcessCannotTakeAnOpenMailbox() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try openLog(directory)
        #expect(try !otherProcessCanLock(directory + "/mailbox/LOCK"))
        log.close()
        #expect(try otherProcessCanLock(directory + "/mailbox/LOCK"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func aMailboxHeldByAnotherProcessIsRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try openLog(directory).close()
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        let ready = directory + "/held"
        let release = directory + "/release"
        // The other process holds the lock until this test creates `release`.
        holder.arguments = [
            directory + "/mailbox/LOCK", "sh", "-c",
            "touch \(ready); while [ ! -e \(release) ]; do sleep 0.01; done",
        ]
        try holder.run()
        while !FileManager.default.fileExists(atPath: ready) { usleep(1_000) }
        #expect(throws: StoreFailure.locked(path: directory + "/mailbox/LOCK")) { try openLog(directory) }
        _ = FileManager.default.createFile(atPath: release, contents: nil)
        holder.waitUntilExit()
        try openLog(directory).close()
    }
}

@Suite struct TornSegmentTests {
    /// Found by the power-loss simulation: a new segment whose header never reached the disk
    /// must not make the whole mailbox unreadable.
    @Test func aTornSegmentCreationIsRemovedAndNothingIsLost() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = try await openQueue(directory)
        for value in 1...3 { try await queue.enqueue(value, id: EventID(high: 1, low: UInt64(value))) }
        queue.terminate()
        // A second segment with a zeroed "header" and zeroed records, as a power cut leaves it.
        let torn = directory + "/mailbox/" + LogFormat.segmentName(2)
        try Data(count: 1_016).write(to: URL(fileURLWithPath: torn))
        let log = try openLog(directory)
        let reopened = try await WorkQueue.open(name: "q", configuration: trackedConfiguration(), storage: log)
        #expect(try await reopened.readyNow().map(\.element) == [1, 2, 3])
        #expect(!FileManager.default.fileExists(atPath: torn))
        try await reopened.enqueue(4, id: EventID(high: 1, low: 4))
        reopened.terminate()
        let again = try openLog(directory)
        #expect(try again.recover().pending.map(\.element) == [1, 2, 3, 4])
        again.close()
    }

    @Test func aDamagedHeaderBeforeValidRecordsKeepsTheRecords() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = try await openQueue(directory)
        for value in 1...3 { try await queue.enqueue(value, id: EventID(high: 1, low: UInt64(value))) }
        queue.terminate()
        let segment = directory + "/mailbox/" + LogFormat.segmentName(1)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[0] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        let log = try openLog(directory)
        #expect(try log.recover().pending.map(\.element) == [1, 2, 3])
        #expect(log.recoveryReport?.quarantinedRanges == 1)
        log.close()
    }
}
