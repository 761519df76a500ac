import EventBusTestSupport
import EventLog
import EventQueue
import Testing

@Suite struct StorageTests {
    private func tracked(maxAttempts: Int = 3) -> QueueConfiguration {
        QueueConfiguration(
            capacity: .bounded(10, overflow: .fail),
            acknowledgement: .explicit(visibilityTimeout: nil),
            retry: .immediate(maxAttempts: maxAttempts),
            dedup: DedupWindow(count: 100)
        )
    }

    @Test func aRestartRedeliversExactlyTheUnacknowledgedEvents() async throws {
        let storage = MemoryStorage<Int>()
        let first = try await WorkQueue.open(name: "a", configuration: tracked(), storage: storage)
        for value in 1...4 { try await first.enqueue(value, id: id(UInt64(value))) }
        let leases = try await first.next(maxCount: 2) ?? []
        try await first.ack(leases[0])
        // "crash": the first queue is abandoned with event 2 in flight and 3, 4 ready.
        let second = try await WorkQueue.open(name: "a", configuration: tracked(), storage: storage)
        let redelivered = try await second.takeReady()
        #expect(redelivered.map(\.element) == [2, 3, 4])
        // A delivery a crash cut off is not an attempt: 2 comes back as attempt 1 again.
        #expect(redelivered.map(\.attempt) == [1, 1, 1])
        #expect(second.recoveryReport?.interrupted == 1)
    }

    @Test func aDeliveryGivenBackAtACleanStopIsNeitherAnAttemptNorACrash() async throws {
        let storage = MemoryStorage<Int>()
        let first = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 1), storage: storage)
        for value in 1...3 { try await first.enqueue(value, id: id(UInt64(value))) }
        _ = try await first.next(maxCount: 3)
        first.terminate(releasingInFlight: true)
        let second = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 1), storage: storage)
        let again = try await second.takeReady()
        #expect(again.map(\.element) == [1, 2, 3])
        #expect(again.map(\.attempt) == [1, 1, 1])
        #expect(second.recoveryReport?.interrupted == 0)
        #expect(second.deadLetters().isEmpty)
    }

    @Test func dedupSurvivesARestart() async throws {
        let storage = MemoryStorage<Int>()
        let first = try await WorkQueue.open(name: "a", configuration: tracked(), storage: storage)
        try await first.enqueue(1, id: id(1))
        let second = try await WorkQueue.open(name: "a", configuration: tracked(), storage: storage)
        #expect(try await second.enqueue(1, id: id(1)) == .duplicate)
    }

    @Test func aCrashDuringTheLastAttemptIsNotAFailure() async throws {
        let storage = MemoryStorage<Int>()
        let first = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 2), storage: storage)
        try await first.enqueue(1, id: id(1))
        let lease = try #require(try await first.takeReady().first)
        try await first.nack(lease, reason: "failed once")
        _ = try await first.takeReady()  // attempt 2 starts, then the process "dies"
        let second = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 2), storage: storage)
        #expect(second.deadLetters().isEmpty)
        #expect(try await second.takeReady().map(\.attempt) == [2])
    }

    @Test func anEventThatCrashesItsConsumerAgainAndAgainIsDeadLetteredWithThatReason() async throws {
        let storage = MemoryStorage<Int>()
        var configuration = tracked(maxAttempts: 5)
        configuration.retry.maxCrashes = 3
        for crash in 1...3 {
            let queue = try await WorkQueue.open(name: "a", configuration: configuration, storage: storage)
            if crash == 1 {
                try await queue.enqueue(1, id: id(1))
                try await queue.enqueue(2, id: id(2))
            }
            #expect(queue.deadLetters().isEmpty)
            // Event 1 is handed out alone and "kills" the process every time.
            #expect(try await queue.next(maxCount: 1)?.map(\.element) == [1])
            queue.terminate(releasingInFlight: false)
        }
        let last = try await WorkQueue.open(name: "a", configuration: configuration, storage: storage)
        #expect(last.deadLetters().map(\.element) == [1])
        #expect(last.deadLetters().first?.reason.contains("crash 3 times") == true)
        #expect(last.recoveryReport?.deadLetteredAfterCrashes == [id(1)])
        // Event 2 was never handed out: it is delivered, as attempt 1.
        #expect(try await last.takeReady().map(\.element) == [2])
        let again = try await WorkQueue.open(name: "a", configuration: configuration, storage: storage)
        #expect(again.deadLetters().map(\.element) == [1])
    }

    @Test func aFailedAppendIsNotAcceptedAndReleasesItsRoom() async throws {
        struct DiskFull: Error {}
        let storage = MemoryStorage<Int>()
        let queue = try await WorkQueue.open(
            name: "a",
            configuration: QueueConfiguration(capacity: .bounded(1, overflow: .fail)),
            storage: storage
        )
        storage.failNextWrite(with: DiskFull())
        await #expect(throws: QueueError.self) { try await queue.enqueue(1, id: id(1)) }
        #expect(queue.metrics().enqueued == 0)
        // The room was released and the id was not remembered.
        #expect(try await queue.enqueue(1, id: id(1)) == .enqueued)
        #expect(try await queue.takeReady().map(\.element) == [1])
    }

    @Test func requeuedDeadLettersAreStoredAsPendingAgain() async throws {
        let storage = MemoryStorage<Int>()
        let first = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 1), storage: storage)
        try await first.enqueue(5, id: id(5))
        let lease = try #require(try await first.takeReady().first)
        try await first.nack(lease, reason: "no")
        try await first.requeueDeadLetters()
        let second = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 1), storage: storage)
        #expect(second.deadLetters().isEmpty)
        #expect(try await second.takeReady().map(\.element) == [5])
    }
}
