import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Synchronization
import Testing

/// Fails the Nth write-path call (write, sync or truncate) with the chosen fault; every other
/// call goes to the real file system.
final class FaultyFileSystem: ForwardingFileSystem {
    enum Fault: Sendable, CaseIterable {
        case eio
        case enospc
        case shortWrite
    }

    let base = PosixFileSystem()
    let failAt: Int
    let fault: Fault
    let calls = Locked(0)

    init(failAt: Int, fault: Fault) {
        self.failAt = failAt
        self.fault = fault
    }

    private func tick(_ path: String) throws(StoreFailure) -> Bool {
        let count = calls.withLock { count -> Int in
            count += 1
            return count
        }
        return count == failAt
    }

    package func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(StoreFailure) {
        guard try tick(path) else { return try base.write(fd, bytes, at: offset, path: path) }
        switch fault {
        case .eio: throw .io(operation: "write", path: path, errno: EIO)
        case .enospc: throw .diskFull(path: path)
        case .shortWrite:
            try base.write(fd, Array(bytes.prefix(bytes.count / 2)), at: offset, path: path)
            throw .io(operation: "write", path: path, errno: EIO)
        }
    }

    package func sync(_ fd: Int32, path: String) throws(StoreFailure) {
        guard try tick(path) else { return try base.sync(fd, path: path) }
        throw .io(operation: "fdatasync", path: path, errno: EIO)
    }
}

@Suite struct FaultInjectionTests {
    /// Publishes and acknowledges through a log whose Nth write-path call fails, then reopens
    /// on the real file system: every publish that returned is delivered, none that threw
    /// and nothing corrupt ever is. After an I/O error nothing more is accepted; after a full
    /// disk (`ENOSPC`) the log goes on.
    @Test(arguments: FaultyFileSystem.Fault.allCases)
    func everyPublishEitherThrowsOrSurvives(fault: FaultyFileSystem.Fault) async throws {
        for failAt in 1...40 {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let faulty = FaultyFileSystem(failAt: failAt, fault: fault)
            let opened = try? await openQueue(directory, sync: .always, fileSystem: faulty)
            guard let queue = opened else {
                // The fault hit the creation of the first segment: nothing was accepted, and the
                // mailbox must open cleanly once the fault is gone.
                let reopened = try await openQueue(directory)
                #expect(try await reopened.readyNow().isEmpty)
                reopened.terminate()
                continue
            }
            var accepted: Set<Int> = []
            var acked: Set<Int> = []
            var refused: Set<Int> = []
            // Any failure but a full disk leaves the disk's state in doubt: the log refuses after it.
            var poisoned = false
            for value in 1...20 {
                do {
                    try await queue.enqueue(value, id: EventID(high: 7, low: UInt64(value)))
                    #expect(!poisoned, "a publish succeeded after a failed write (fail at \(failAt))")
                    accepted.insert(value)
                } catch QueueError.storage(let failure) {
                    refused.insert(value)
                    if case .diskFull = failure {} else { poisoned = true }
                }
                if value % 4 == 0, !poisoned, queue.metrics().depth > 0,
                    let lease = try? await queue.next(maxCount: 1)?.first
                {
                    do {
                        try await queue.ack(lease)
                        acked.insert(lease.element)
                    } catch QueueError.storage(let failure) {
                        if case .diskFull = failure {} else { poisoned = true }
                    }
                }
            }
            if fault == .enospc && !poisoned {
                // One write failed for want of space: one group was refused, the rest accepted.
                #expect(refused.count <= 1, "fail at \(failAt)")
            }
            queue.terminate()
            let reopened = try await openQueue(directory)
            let recovered = Set(try await reopened.readyNow().map(\.element))
            #expect(accepted.subtracting(acked).isSubset(of: recovered), "lost an accepted event (fail at \(failAt))")
            #expect(recovered.isSubset(of: Set(1...20)))
            #expect(recovered.isDisjoint(with: refused), "delivered a refused event (fail at \(failAt))")
            // After the fault clears, the reopened mailbox works.
            try await reopened.enqueue(100, id: EventID(high: 8, low: 1))
            reopened.terminate()
        }
    }

    /// Faults during recovery itself (reading, cutting a torn tail, quarantining, starting a
    /// segment): the open fails with a typed error or succeeds, and a later clean open still
    /// delivers every event.
    @Test(arguments: FaultyFileSystem.Fault.allCases)
    func aFaultDuringRecoveryLosesNothing(fault: FaultyFileSystem.Fault) async throws {
        for failAt in 1...12 {
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let first = try await openQueue(directory)
            for value in 1...5 { try await first.enqueue(value, id: EventID(high: 3, low: UInt64(value))) }
            first.terminate()
            // A torn tail and a corrupt range give recovery something to write.
            let segment = directory + "/mailbox/" + LogFormat.segmentName(1)
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
            let scan = LogFormat.scan(bytes, maxRecordSize: 1 << 20)
            bytes[scan.records[1].offset + 12] ^= 0x40
            bytes += [1, 2, 3]
            try Data(bytes).write(to: URL(fileURLWithPath: segment))
            let faulty = FaultyFileSystem(failAt: failAt, fault: fault)
            if let queue = try? await openQueue(directory, fileSystem: faulty) {
                queue.terminate()
            }
            let clean = try await openQueue(directory)
            #expect(try await clean.readyNow().map(\.element) == [1, 3, 4, 5], "fault at call \(failAt)")
            clean.terminate()
        }
    }

    @Test func afterAnFsyncFailureTheMailboxRefusesUntilReopened() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Opening writes and fsyncs the segment header (calls 1 and 2); the first publish writes
        // (call 3) and its fsync (call 4) fails.
        let faulty = FaultyFileSystem(failAt: 4, fault: .eio)
        let log = try openLog(directory, sync: .always, fileSystem: faulty)
        let queue = try await WorkQueue.open(name: "q", configuration: trackedConfiguration(), storage: log)
        await #expect(throws: QueueError.self) { try await queue.enqueue(1, id: EventID(high: 1, low: 1)) }
        await #expect(throws: QueueError.self) { try await queue.enqueue(2, id: EventID(high: 1, low: 2)) }
        queue.terminate()
        let reopened = try await openQueue(directory)
        // The failed batch was cut from the file: neither event is delivered.
        #expect(try await reopened.readyNow().isEmpty)
        try await reopened.enqueue(3, id: EventID(high: 1, low: 3))
        #expect(try await reopened.readyNow().map(\.element) == [3])
    }
}
