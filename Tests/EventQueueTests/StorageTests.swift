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
        #expect(redelivered.map(\.attempt) == [2, 1, 1])
    }

    @Test func dedupSurvivesARestart() async throws {
        let storage = MemoryStorage<Int>()
        let first = try await WorkQueue.open(name: "a", configuration: tracked(), storage: storage)
        try await first.enqueue(1, id: id(1))
        let second = try await WorkQueue.open(name: "a", configuration: tracked(), storage: storage)
        #expect(try await second.enqueue(1, id: id(1)) == .duplicate)
    }

    @Test func anEventThatUsedEveryAttemptBeforeACrashIsDeadLettered() async throws {
        let storage = MemoryStorage<Int>()
        let first = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 2), storage: storage)
        try await first.enqueue(1, id: id(1))
        let lease = try #require(try await first.takeReady().first)
        try await first.nack(lease, reason: "poison")
        _ = try await first.takeReady()  // attempt 2 starts, then the process "dies"
        let second = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 2), storage: storage)
        #expect(second.metrics().depth == 0)
        #expect(second.deadLetters().map(\.element) == [1])
        let third = try await WorkQueue.open(name: "a", configuration: tracked(maxAttempts: 2), storage: storage)
        #expect(third.deadLetters().map(\.element) == [1])
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
