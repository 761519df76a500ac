import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Fails chosen file operations of the durable mailboxes of a bus (through
/// `BusConfiguration.fileSystem`); every other call goes to the real file system.
final class FailingFileSystem: ForwardingFileSystem {
    enum Operation: Sendable {
        case write, sync, read
    }

    private struct Fault: Sendable {
        let operation: Operation
        let pathContains: String
        var times: Int
        let failure: @Sendable (String) -> StoreFailure
    }

    let base = PosixFileSystem()
    private let faults = Locked<[Fault]>([])

    /// Makes the next `times` calls of `operation` on a path containing `path` fail.
    func fail(
        _ operation: Operation,
        times: Int = 1,
        path: String = "",
        with failure: @escaping @Sendable (String) -> StoreFailure
    ) {
        faults.withLock { $0.append(Fault(operation: operation, pathContains: path, times: times, failure: failure)) }
    }

    private func check(_ operation: Operation, _ path: String) throws(StoreFailure) {
        let failure: StoreFailure? = faults.withLock { faults in
            guard
                let index = faults.firstIndex(where: { fault in
                    fault.operation == operation && (fault.pathContains.isEmpty || path.contains(fault.pathContains))
                })
            else { return nil }
            faults[index].times -= 1
            let failure = faults[index].failure(path)
            if faults[index].times == 0 { faults.remove(at: index) }
            return failure
        }
        if let failure { throw failure }
    }

    package func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(StoreFailure) {
        try check(.write, path)
        try base.write(fd, bytes, at: offset, path: path)
    }

    package func sync(_ fd: Int32, path: String) throws(StoreFailure) {
        try check(.sync, path)
        try base.sync(fd, path: path)
    }

    package func readAll(_ path: String, limit: Int) throws(StoreFailure) -> [UInt8] {
        try check(.read, path)
        return try base.readAll(path, limit: limit)
    }
}

/// The store failure a publish threw, when it threw ``BusError/notStored(_:)``.
func storeReport(_ body: () async throws -> Void) async -> StoreReport? {
    do {
        try await body()
    } catch BusError.notStored(let report) {
        return report
    } catch {
        Issue.record("expected BusError.notStored, got \(error)")
    }
    return nil
}

/// "A publish that returns was stored": every way a durable store can fail, through `Bus`.
@Suite struct PublishContractTests {
    private func bus(_ fileSystem: FailingFileSystem? = nil, maxRecordSize: Int = 1 << 20) -> Bus {
        var configuration = BusConfiguration(durableOptions: DurableMailboxOptions(maxRecordSize: maxRecordSize))
        if let fileSystem { configuration.fileSystem = fileSystem }
        return Bus(configuration: configuration)
    }

    @Test func anEventOverTheRecordLimitThrowsAndNobodyReceivesIt() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bus = bus(maxRecordSize: 256)
        // Subscribers in memory registered before the durable mailbox: still nobody receives it.
        let memory = try await bus.subscribe(Blob.self)
        let called = Collector<Int>()
        try bus.on(Blob.self) { blob in called.append(blob.data.count) }
        let durable = try await bus.subscribe(
            Blob.self,
            mailbox: .durable(name: "blobs", directory: directory),
            codec: DataEventCodec()
        )
        let report = await storeReport { try await bus.publish(Blob(data: Data(count: 1_000))) }
        let failure = try #require(report?.failures.first)
        #expect(failure.mailbox == "blobs")
        guard case .recordTooLarge(let size, let limit) = failure.cause else {
            Issue.record("not too large: \(failure.cause)")
            return
        }
        #expect(size > 1_000)
        #expect(limit == 256)
        #expect(report?.events.map(\.published) == [false])
        #expect(report?.events.first?.storedIn == [])
        // A small one goes through, to everybody.
        try await bus.publish(Blob(data: Data(count: 10)))
        await bus.waitUntilIdle()
        #expect(called.values == [10])
        #expect(memory.metrics().depth == 1)
        #expect(durable.metrics().depth == 1)
        await bus.shutdown(draining: .zero)
    }

    @Test func anFsyncErrorThrowsWithErrnoAndPathAndTheMailboxRefusesUntilReopened() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "ledger", directory: directory, sync: .always)
        let files = FailingFileSystem()
        do {
            let bus = bus(files)
            let ledger = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
            let seen = try await bus.subscribe(OrderPlaced.self)
            try await bus.publish(OrderPlaced(id: 1))
            files.fail(.sync) { .io(operation: "fdatasync", path: $0, errno: EIO) }
            let first = await storeReport { try await bus.publish(OrderPlaced(id: 2)) }
            guard case .io(let operation, let path, let code)? = first?.failures.first?.cause else {
                Issue.record("not an I/O error: \(String(describing: first))")
                return
            }
            #expect(operation == "fdatasync")
            #expect(code == EIO)
            #expect(path.hasPrefix(directory + "/ledger/segment-"))
            // The page cache cannot be trusted after a failed fsync: refused until reopened.
            let second = await storeReport { try await bus.publish(OrderPlaced(id: 3)) }
            guard case .refusingWrites(let since)? = second?.failures.first?.cause else {
                Issue.record("not refusing: \(String(describing: second))")
                return
            }
            #expect(since.rootCause == first?.failures.first?.cause)
            #expect(seen.metrics().enqueued == 1)
            #expect(ledger.metrics().enqueued == 1)
            await bus.shutdown(draining: .zero)
        }
        let bus = Bus()
        let ledger = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        try await bus.publish(OrderPlaced(id: 4))
        var received: [Int] = []
        for try await delivery in ledger {
            received.append(delivery.event.id)
            if received.count == 2 { break }
        }
        #expect(received == [1, 4])
        await bus.shutdown(draining: .zero)
    }

    @Test(arguments: [EIO, ENOSPC])
    func aFailedWriteThrowsTheCauseAndOnlyAFullDiskLetsPublishingGoOn(errno code: Int32) async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = FailingFileSystem()
        let bus = bus(files)
        let mailbox = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "writes", directory: directory, sync: .always)
        )
        files.fail(.write) { path in
            code == ENOSPC ? .diskFull(path: path) : .io(operation: "write", path: path, errno: code)
        }
        let report = await storeReport { try await bus.publish(OrderPlaced(id: 1)) }
        let cause = try #require(report?.failures.first?.cause)
        if code == ENOSPC {
            #expect(cause == .diskFull(path: directory + "/writes/" + "segment-000000000001.log"))
            try await bus.publish(OrderPlaced(id: 2))
            #expect(mailbox.metrics().enqueued == 1)
        } else {
            #expect(cause == .io(operation: "write", path: directory + "/writes/segment-000000000001.log", errno: EIO))
            let again = await storeReport { try await bus.publish(OrderPlaced(id: 2)) }
            guard case .refusingWrites? = again?.failures.first?.cause else {
                Issue.record("not refusing after EIO: \(String(describing: again))")
                return
            }
        }
        await bus.shutdown(draining: .zero)
    }

    @Test func aBatchThatOneMailboxCannotStoreIsDeliveredToNobodyAndSaysWhereEachEventIs() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = FailingFileSystem()
        let bus = bus(files)
        let audit = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "audit", directory: directory, sync: .always),
            dedup: DedupWindow(count: 1_000)
        )
        let billing = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "billing", directory: directory, sync: .always),
            dedup: DedupWindow(count: 1_000)
        )
        let memory = try await bus.subscribe(OrderPlaced.self)
        files.fail(.write, path: "/billing/") { .diskFull(path: $0) }
        let orders = (1...3).map { OrderPlaced(id: $0) }
        let report = try #require(await storeReport { try await bus.publish(contentsOf: orders) })
        #expect(report.events.count == 3)
        #expect(report.events.allSatisfy { $0.storedIn == ["audit"] && !$0.published })
        #expect(report.events.allSatisfy { $0.failures.map(\.mailbox) == ["billing"] })
        #expect(report.unpublished.count == 3)
        #expect(memory.metrics().enqueued == 0)
        // The retry the guide describes: the same ids; audit's dedup window drops its copies.
        for (order, id) in zip(orders, report.unpublished) {
            let retried = try await bus.publish(order, id: id)
            #expect(retried.duplicates == 1)
        }
        #expect(audit.metrics().enqueued == 3)
        #expect(billing.metrics().enqueued == 3)
        #expect(memory.metrics().enqueued == 3)
        await bus.shutdown(draining: .zero)
    }

    @Test func aSinglePublishRetriedWithItsIdIsStoredOnceEverywhere() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = FailingFileSystem()
        let bus = bus(files)
        let first = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "first", directory: directory, sync: .always),
            dedup: DedupWindow(count: 100)
        )
        let second = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "second", directory: directory, sync: .always),
            dedup: DedupWindow(count: 100)
        )
        files.fail(.write, path: "/second/") { .diskFull(path: $0) }
        let report = try #require(await storeReport { try await bus.publish(OrderPlaced(id: 7)) })
        #expect(report.events.first?.storedIn == ["first"])
        #expect(report.description.contains("stored in first"))
        let id = try #require(report.unpublished.first)
        try await bus.publish(OrderPlaced(id: 7), id: id)
        #expect(first.metrics().enqueued == 1)
        #expect(second.metrics().enqueued == 1)
        await bus.shutdown(draining: .zero)
    }

    @Test func everyUnacknowledgedEventComesBackAfterACleanShutdownWithTheDefaultRetryPolicy() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "work", directory: directory, sync: .none)
        do {
            let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))
            let work = try await bus.subscribe(
                OrderPlaced.self,
                mailbox: mailbox,
                acknowledgement: .manual(visibilityTimeout: nil)
            )
            try await bus.publish(contentsOf: (1...1_000).map { OrderPlaced(id: $0) })
            var iterator = work.makeAsyncIterator()
            for _ in 1...1_000 {
                let delivery = try #require(try await iterator.next())
                if delivery.event.id <= 400 { try await delivery.ack() }
            }
            let report = await bus.shutdown(draining: .zero)
            #expect(report.abandoned == 600)
        }
        let bus = Bus()
        let work = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect(work.deadLetters().isEmpty)
        #expect(work.recoveryReport?.pending == 600)
        #expect(work.recoveryReport?.interrupted == 0)
        var ids: [Int] = []
        var attempts: Set<Int> = []
        for try await delivery in work {
            ids.append(delivery.event.id)
            attempts.insert(delivery.metadata.attempt)
            if ids.count == 600 { break }
        }
        #expect(ids == Array(401...1_000))
        #expect(attempts == [1])
        await bus.shutdown(draining: .zero)
    }

    @Test func anEventThatCrashesItsConsumerEveryTimeIsDeadLetteredAfterMaxCrashes() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "crashy", directory: directory, sync: .none)
        var retry = RetryPolicy.none
        retry.maxCrashes = 2
        for crash in 1...2 {
            let bus = Bus()
            let crashy = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox, retry: retry)
            if crash == 1 {
                try await bus.publish(OrderPlaced(id: 1))
                try await bus.publish(OrderPlaced(id: 2))
            } else {
                #expect(crashy.recoveryReport?.interrupted == 1)
            }
            var iterator = crashy.makeAsyncIterator()
            let delivery = try #require(try await iterator.next())
            #expect(delivery.event.id == 1)
            #expect(delivery.metadata.attempt == 1)
            bus.simulateCrash()
        }
        let bus = Bus()
        let crashy = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox, retry: retry)
        let dead = try #require(crashy.deadLetters().first)
        #expect(dead.element.event.id == 1)
        #expect(dead.reason.contains("cut off by a crash 2 times"))
        #expect(bus.recoveryReports()["crashy"]?.deadLetteredAfterCrashes == [dead.id])
        var iterator = crashy.makeAsyncIterator()
        #expect(try await iterator.next()?.event.id == 2)
        await bus.shutdown(draining: .zero)
    }

    @Test func recoveryFailuresAreTypedBusErrors() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "orders", directory: directory, sync: .none)
        do {
            let bus = Bus()
            let kept = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
            try await bus.publish(OrderPlaced(id: 1))
            await bus.shutdown(draining: .zero)
            _ = kept
        }
        // An I/O error while reading the log.
        let files = FailingFileSystem()
        files.fail(.read, path: "segment-") { .io(operation: "read", path: $0, errno: EIO) }
        await expectUnavailable(bus(files), mailbox) { reason in
            guard case .io("read", let path, EIO) = reason else { return false }
            return path.hasSuffix("/orders/segment-000000000001.log")
        }
        // A segment replaced by a symbolic link is not followed.
        let segment = directory + "/orders/segment-000000000001.log"
        try FileManager.default.moveItem(atPath: segment, toPath: directory + "/elsewhere.log")
        try FileManager.default.createSymbolicLink(atPath: segment, withDestinationPath: directory + "/elsewhere.log")
        await expectUnavailable(Bus(), mailbox) { reason in
            guard case .io("open", segment, ELOOP) = reason else { return false }
            return true
        }
        // A regular file where the mailbox directory should be.
        try FileManager.default.createDirectory(atPath: directory + "/plain", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: directory + "/plain/orders", contents: Data([1])))
        await expectUnavailable(Bus(), .durable(name: "orders", directory: directory + "/plain")) { reason in
            reason == .notADirectory(path: directory + "/plain/orders")
        }
        // "." would put the log files straight into the directory.
        let bus = Bus()
        await #expect {
            try await bus.subscribe(OrderPlaced.self, mailbox: .durable(name: ".", directory: directory))
        } throws: { error in
            guard case BusError.invalidName(".") = error else { return false }
            return true
        }
    }

    private func expectUnavailable(
        _ bus: Bus,
        _ mailbox: Mailbox,
        _ matches: (StoreFailure) -> Bool
    ) async {
        do {
            _ = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
            Issue.record("subscribe succeeded")
        } catch BusError.mailboxUnavailable(_, let reason) {
            #expect(matches(reason), "\(reason)")
        } catch {
            Issue.record("not a BusError.mailboxUnavailable: \(error)")
        }
        await bus.shutdown(draining: .zero)
    }

    @Test func theRecoveryReportReachesTheUserFromTheBusAndInMetrics() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "torn", directory: directory, sync: .none)
        do {
            let bus = Bus()
            let kept = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
            for id in 1...3 { try await bus.publish(OrderPlaced(id: id)) }
            bus.simulateCrash()
            _ = kept
        }
        // A torn write at the end of the log: half a record.
        let segment = directory + "/torn/segment-000000000001.log"
        let handle = try #require(FileHandle(forUpdatingAtPath: segment))
        // The log was closed: its file ends where its records do.
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([40, 0, 0, 0, 1, 2, 3, 4, 9, 9]))
        try handle.close()
        let bus = Bus()
        let torn = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        let report = try #require(bus.recoveryReports()["torn"])
        #expect(report.pending == 3)
        #expect(report.truncatedBytes == 10)
        #expect(report.quarantinedRanges == 0)
        #expect(report.quarantineDirectory == nil)
        #expect(torn.recoveryReport == report)
        #expect(bus.metrics().queues.first { $0.name == "torn" }?.recovery == report)
        await bus.shutdown(draining: .zero)
    }

    @Test func aDeliveryWhoseAttemptCannotBeRecordedIsDeliveredWithoutCountingIt() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = FailingFileSystem()
        let bus = bus(files)
        let mailbox = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "attempts", directory: directory, sync: .always)
        )
        try await bus.publish(OrderPlaced(id: 1))
        files.fail(.write) { .diskFull(path: $0) }
        var iterator = mailbox.makeAsyncIterator()
        let delivery = try #require(try await iterator.next())
        #expect(delivery.event.id == 1)
        #expect(mailbox.metrics().attemptsNotRecorded == 1)
        try await delivery.ack()
        await bus.shutdown(draining: .zero)
    }

    /// A real full disk: a small tmpfs mounted by the test (CI runs as root, so it runs there).
    @Test(.enabled(if: getuid() == 0, "mounts a tmpfs, which needs root"))
    func onARealFullDiskConsumingAndAcknowledgingGoOnAndPublishingResumesOnceSpaceIsFree() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try run("mount", "-t", "tmpfs", "-o", "size=384k,mode=0700", "tmpfs", directory)
        defer { try? run("umount", directory) }
        let bus = Bus(configuration: BusConfiguration(durableOptions: DurableMailboxOptions(segmentSize: 16 << 10)))
        let mailbox = try await bus.subscribe(
            Blob.self,
            mailbox: .durable(name: "full", directory: directory, sync: .always),
            acknowledgement: .manual(visibilityTimeout: nil),
            codec: DataEventCodec()
        )
        let blob = Blob(data: Data(repeating: 7, count: 1_000))
        var accepted = 0
        var refusal: StoreFailure?
        while refusal == nil && accepted < 5_000 {
            do {
                try await bus.publish(blob)
                accepted += 1
            } catch BusError.notStored(let report) {
                refusal = report.failures.first?.cause
            }
        }
        guard case .diskFull(let path)? = refusal else {
            Issue.record("no full disk after \(accepted) events: \(String(describing: refusal))")
            return
        }
        #expect(path.hasPrefix(directory + "/full/"))
        #expect(accepted > 50)
        // Still full, and refused as full, not as a poisoned log.
        let again = await storeReport { try await bus.publish(blob) }
        guard case .diskFull? = again?.failures.first?.cause else {
            Issue.record("not refused as a full disk: \(String(describing: again))")
            return
        }
        // Consuming and acknowledging go on from the space the mailbox reserved.
        var iterator = mailbox.makeAsyncIterator()
        for _ in 0..<accepted {
            let delivery = try #require(try await iterator.next())
            try await delivery.ack()
        }
        #expect(mailbox.metrics().attemptsNotRecorded == 0)
        #expect(mailbox.metrics().acked == UInt64(accepted))
        // Acknowledged segments were deleted: there is space again, and publishing resumes.
        for _ in 1...10 { try await bus.publish(blob) }
        await bus.shutdown(draining: .zero)
        let reopened = Bus()
        let full = try await reopened.subscribe(
            Blob.self,
            mailbox: .durable(name: "full", directory: directory, sync: .always),
            codec: DataEventCodec()
        )
        #expect(full.metrics().depth == 10)
        await reopened.shutdown(draining: .zero)
    }

    private func run(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "\(arguments.joined(separator: " ")) failed")
    }
}
