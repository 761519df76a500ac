import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Testing

/// `enqueue(contentsOf:)`: one storage group per run of accepted events, each event meeting the
/// overflow policy on its own, and the queue's order kept.
@Suite struct BatchEnqueueTests {
    func batch(_ values: ClosedRange<Int>) -> [(element: Int, id: EventID, priority: Priority)] {
        values.map { ($0, id(UInt64($0)), .normal) }
    }

    @Test func aBatchIsStoredWithOneWriteAndOneFsyncAndSurvivesAReopen() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fileSystem = GatedFileSystem()
        let queue = try await openQueue(directory, fileSystem: fileSystem)
        let (writes, syncs) = (fileSystem.writes, fileSystem.syncs)
        let results = await queue.enqueue(contentsOf: batch(1...100))
        #expect(results.allSatisfy { (try? $0.get()) == .enqueued })
        #expect(fileSystem.writes - writes == 1)
        #expect(fileSystem.syncs - syncs == 1)
        #expect(queue.metrics().enqueued == 100)
        queue.terminate()
        let reopened = try await openQueue(directory)
        #expect(try await reopened.readyNow().map(\.element) == Array(1...100))
        reopened.terminate()
    }

    @Test func eachEventMeetsTheOverflowPolicyAndTheDedupWindow() async throws {
        let failing = makeQueue(capacity: .bounded(3, overflow: .fail))
        let refused = await failing.enqueue(contentsOf: batch(1...5))
        #expect(refused.prefix(3).allSatisfy { (try? $0.get()) == .enqueued })
        for result in refused.suffix(2) {
            guard case .failure(.full(capacity: 3)) = result else {
                Issue.record("expected full, got \(result)")
                continue
            }
        }
        #expect(try await failing.takeReady().map(\.element) == [1, 2, 3])

        let dropping = makeQueue(capacity: .bounded(2, overflow: .dropNewest))
        let dropped = await dropping.enqueue(contentsOf: batch(1...4))
        #expect(dropped.map { try? $0.get() } == [.enqueued, .enqueued, .droppedNewest, .droppedNewest])
        #expect(dropping.metrics().dropped == 2)

        let deduplicating = makeQueue(dedup: DedupWindow(count: 10))
        var repeated = batch(1...3)
        repeated.append((9, id(2), .normal))
        let outcomes = await deduplicating.enqueue(contentsOf: repeated)
        #expect(outcomes.map { try? $0.get() } == [.enqueued, .enqueued, .enqueued, .duplicate])
        #expect(try await deduplicating.takeReady().map(\.element) == [1, 2, 3])
    }

    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func aBatchLargerThanTheQueueWaitsForRoomAndKeepsItsOrder(durable: Bool) async throws {
        let configuration = QueueConfiguration(capacity: .bounded(4, overflow: .suspendPublisher))
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let queue: WorkQueue<Int> =
            durable
            ? try await WorkQueue.open(
                name: "q",
                configuration: configuration,
                storage: try openLog(scratch, sync: .none)
            )
            : WorkQueue(name: "q", configuration: configuration)
        let producer = Task { await queue.enqueue(contentsOf: batch(1...50)) }
        var received: [Int] = []
        while received.count < 50, let leases = try await queue.next(maxCount: 3) {
            received += leases.map(\.element)
        }
        let results = await producer.value
        #expect(received == Array(1...50))
        #expect(results.allSatisfy { (try? $0.get()) == .enqueued })
        queue.terminate()
    }

    @Test func aStorageFailureRefusesItsWholeGroupAndNoneOfItIsDelivered() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Opening writes and fsyncs the segment header (calls 1 and 2); the batch's write is call 3.
        let faulty = FaultyFileSystem(failAt: 3, fault: .shortWrite)
        let log = try openLog(directory, sync: .always, fileSystem: faulty)
        let queue = try await WorkQueue.open(
            name: "q",
            configuration: QueueConfiguration(capacity: .bounded(10, overflow: .fail)),
            storage: log
        )
        let results = await queue.enqueue(contentsOf: batch(1...10))
        for result in results {
            guard case .failure(.storage) = result else {
                Issue.record("expected a storage error, got \(result)")
                continue
            }
        }
        let metrics = queue.metrics()
        #expect(metrics.depth == 0 && metrics.enqueued == 0)
        queue.terminate()
        // Half the batch reached the file before the failure; it was cut, and nothing is delivered.
        let reopened = try await openQueue(directory)
        #expect(try await reopened.readyNow().isEmpty)
        reopened.terminate()
    }

    @Test func aRefusedGroupGivesItsRoomBack() async throws {
        let storage = CountingStorage()
        let queue = try await WorkQueue.open(
            name: "q",
            configuration: QueueConfiguration(capacity: .bounded(3, overflow: .fail)),
            storage: storage
        )
        storage.failing = true
        let refused = await queue.enqueue(contentsOf: batch(1...3))
        #expect(refused.allSatisfy { if case .failure(.storage) = $0 { true } else { false } })
        storage.failing = false
        let accepted = await queue.enqueue(contentsOf: batch(4...6))
        #expect(accepted.allSatisfy { (try? $0.get()) == .enqueued })
        #expect(try await queue.takeReady().map(\.element) == [4, 5, 6])
    }

    @Test func storageWithoutAGroupAppendStoresTheEventsOneByOne() async throws {
        let storage = CountingStorage()
        let queue = try await WorkQueue.open(name: "q", configuration: QueueConfiguration(), storage: storage)
        let results = await queue.enqueue(contentsOf: batch(1...5))
        #expect(results.allSatisfy { (try? $0.get()) == .enqueued })
        #expect(storage.appended == [1, 2, 3, 4, 5])
        #expect(try await queue.takeReady().map(\.element) == [1, 2, 3, 4, 5])
    }
}

/// Storage that implements only the one-event `append`, so the protocol's default
/// `append(contentsOf:)` is what a batch uses.
final class CountingStorage: QueueStorage {
    private let stored = Locked<[Int]>([])
    private let failure = Locked(false)
    var appended: [Int] { stored.withLock { $0 } }
    /// While true, appends throw.
    var failing: Bool {
        get { failure.withLock { $0 } }
        set { failure.withLock { $0 = newValue } }
    }

    func recover() throws -> RecoveredState<Int> { RecoveredState(pending: [], deadLetters: [], recentIDs: []) }
    func append(_ event: StoredEvent<Int>) async throws {
        if failing { throw StoreFailure.closed }
        stored.withLock { $0.append(event.element) }
    }
    func recordAttempts(_ attempts: [(id: EventID, attempt: Int)]) async throws {}
    func acknowledge(_ id: EventID) async throws {}
    func reschedule(_ id: EventID, notBefore: WallClockInstant?) async throws {}
    func deadLetter(_ id: EventID, reason: String) async throws {}
    func requeue(_ ids: [EventID]) async throws {}
}
