import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Testing

/// A second store, written for the test: every mailbox in memory, kept by the store object, so
/// that it outlives a bus — a new `Bus` on the same store is a restart.
final class InMemoryMailboxStore: MailboxStore {
    private let mailboxes = Locked<[String: any Sendable]>([:])

    var identity: String { "test memory store \(ObjectIdentifier(self))" }

    func storage<E: Event>(
        forMailbox name: String,
        of type: E.Type,
        codec: any EventCodec<E>,
        context: StoreContext
    ) throws -> any QueueStorage<Envelope<E>> {
        mailboxes.withLock { mailboxes in
            if let kept = mailboxes[name] as? DictionaryStorage<Envelope<E>> { return kept }
            let made = DictionaryStorage<Envelope<E>>()
            mailboxes[name] = made
            return made
        }
    }

    func removeMailbox(named name: String, context: StoreContext) throws {
        _ = mailboxes.withLock { $0.removeValue(forKey: name) }
    }

    func purgeMailbox(named name: String, context: StoreContext) async throws -> PurgeReport {
        guard let kept = mailboxes.withLock({ $0[name] }) as? any PurgeableStorage else {
            return PurgeReport(pending: 0, deadLetters: 0)
        }
        return kept.purgeAll()
    }
}

/// A ``DictionaryStorage`` of any element type, for ``InMemoryMailboxStore/purgeMailbox(named:context:)``.
protocol PurgeableStorage {
    func purgeAll() -> PurgeReport
}

/// The storage of one mailbox of ``InMemoryMailboxStore``: events by id in acceptance order, each
/// with the record-by-record delivery progress a log would replay.
final class DictionaryStorage<Element: Sendable>: QueueStorage, PurgeableStorage {
    private struct Kept {
        var event: StoredEvent<Element>
        var progress: DeliveryProgress
        var deadReason: String?
    }

    private let kept = Locked<(order: [EventID], events: [EventID: Kept])>(([], [:]))

    func recover() async throws -> RecoveredState<Element> {
        kept.withLock { kept in
            var pending: [StoredEvent<Element>] = []
            var dead: [RecoveredDeadLetter<Element>] = []
            for id in kept.order {
                guard let entry = kept.events[id] else { continue }
                let progress = entry.progress.afterStop
                var event = entry.event
                event.attempts = Int(progress.attempts)
                event.crashes = Int(progress.crashes)
                if let reason = progress.deadReason {
                    dead.append(RecoveredDeadLetter(event: event, reason: reason))
                } else {
                    pending.append(event)
                }
            }
            return RecoveredState(pending: pending, deadLetters: dead, recentIDs: kept.order)
        }
    }

    func append(_ event: StoredEvent<Element>) async throws {
        kept.withLock { kept in
            kept.order.append(event.id)
            kept.events[event.id] = Kept(
                event: event,
                progress: DeliveryProgress(attempts: 0, notBefore: event.notBefore?.nanosecondsSinceEpoch)
            )
        }
    }

    func recordAttempts(_ attempts: [(id: EventID, attempt: Int)]) async throws {
        apply(attempts.map { LogRecord.attempt(id: $0.id, attempt: UInt32($0.attempt)) })
    }

    func acknowledge(_ id: EventID) async throws {
        kept.withLock { kept in
            kept.events[id] = nil
            kept.order.removeAll { $0 == id }
        }
    }

    func reschedule(_ id: EventID, notBefore: WallClockInstant?) async throws {
        apply([.reschedule(id: id, notBefore: notBefore?.nanosecondsSinceEpoch)])
    }

    func deadLetter(_ id: EventID, reason: String) async throws { apply([.dead(id: id, reason: reason)]) }

    func requeue(_ ids: [EventID]) async throws { apply(ids.map { LogRecord.requeue(id: $0) }) }

    func close(releasing inFlight: [EventID]) { apply(inFlight.map { LogRecord.release(id: $0) }) }

    /// Deletes every event kept, counting pending events and dead letters.
    func purgeAll() -> PurgeReport {
        kept.withLock { kept in
            let dead = kept.events.values.count { $0.progress.deadReason != nil }
            let pending = kept.events.count - dead
            kept = ([], [:])
            return PurgeReport(pending: pending, deadLetters: dead)
        }
    }

    private func apply(_ records: [LogRecord]) {
        kept.withLock { kept in
            for record in records { kept.events[record.id]?.progress.apply(record) }
        }
    }
}

/// Durable mailboxes through the store seam: a second store, written above, side by side with
/// the file log, through `Bus`.
@Suite struct StoreSeamTests {
    @Test func aMailboxInAnotherStoreRedeliversAfterARestartAndAfterACrash() async throws {
        let store = DurableStore(InMemoryMailboxStore())
        let mailbox = Mailbox.durable(name: "billing", store: store, capacity: 100)
        do {
            let bus = Bus()
            let billing = try await bus.subscribe(
                OrderPlaced.self,
                mailbox: mailbox,
                acknowledgement: .manual(visibilityTimeout: nil)
            )
            for id in 1...4 { try await bus.publish(OrderPlaced(id: id)) }
            var iterator = billing.makeAsyncIterator()
            try await iterator.next()?.ack()
            _ = try await iterator.next()  // 2 is being handled at the shutdown
            await bus.shutdown(draining: .zero)
        }
        do {
            let bus = Bus()
            let billing = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
            #expect(billing.recoveryReport?.pending == 3)
            var iterator = billing.makeAsyncIterator()
            let delivery = try #require(try await iterator.next())
            #expect(delivery.event.id == 2)
            #expect(delivery.metadata.attempt == 1)
            bus.simulateCrash()  // while 2 is being handled again
        }
        let bus = Bus()
        let billing = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect(billing.recoveryReport?.interrupted == 1)
        var ids: [Int] = []
        for try await delivery in billing {
            ids.append(delivery.event.id)
            if ids.count == 3 { break }
        }
        #expect(ids == [2, 3, 4])
        await bus.shutdown(draining: .zero)
    }

    @Test func mailboxesOfTwoStoresLiveSideBySideAndTheDefaultStoreIsUsedWhenNoneIsNamed() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let memory = DurableStore(InMemoryMailboxStore())
        let bus = Bus(configuration: BusConfiguration(durableStore: memory))
        let onDisk = try await bus.subscribe(OrderPlaced.self, mailbox: .durable(name: "audit", directory: directory))
        let inMemory = try await bus.subscribe(OrderPlaced.self, mailbox: .durable(name: "billing"))
        let report = try await bus.publish(OrderPlaced(id: 1))
        #expect(report.enqueued == 2)
        #expect(onDisk.metrics().depth == 1)
        #expect(inMemory.metrics().depth == 1)
        #expect(FileManager.default.fileExists(atPath: directory + "/audit"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/billing"))
        // Removing one leaves the other.
        try bus.removeMailbox(.durable(name: "billing"))
        try await bus.publish(OrderPlaced(id: 2))
        #expect(onDisk.metrics().depth == 2)
        await bus.shutdown(draining: .zero)
    }

    @Test func aMailboxWithNoStoreOnABusWithNoDefaultIsRefused() async throws {
        let bus = Bus()
        await #expect {
            try await bus.subscribe(OrderPlaced.self, mailbox: .durable(name: "nowhere"))
        } throws: { error in
            guard case BusError.noDurableStore("nowhere") = error else { return false }
            return true
        }
        await bus.shutdown()
    }
}

/// A durable point-to-point queue in the test's store: competing consumers, redelivery after a crash.
@Suite struct StoreSeamQueueTests {
    @Test func aDurableQueueInAnotherStoreRedeliversWhatWasNotAcknowledged() async throws {
        let hello = Mailbox.durable(name: "hello", store: DurableStore(InMemoryMailboxStore()), capacity: 100)
        do {
            let bus = Bus()
            let first = try await bus.receive(
                ResizeImage.self,
                from: "hello",
                mailbox: hello,
                acknowledgement: .manual(visibilityTimeout: nil)
            )
            for number in 1...3 { try await bus.send(ResizeImage(number: number), to: "hello") }
            var iterator = first.makeAsyncIterator()
            try await iterator.next()?.ack()
            _ = try await iterator.next()  // 2 is being handled when the process dies
            bus.simulateCrash()
        }
        let bus = Bus()
        let handled = Collector<Int>()
        try await bus.consume(ResizeImage.self, from: "hello", mailbox: hello) { handled.append($0.number) }
        await bus.waitUntilIdle()
        #expect(handled.values == [2, 3])
        await bus.shutdown(draining: .zero)
    }
}

/// The wake-ups a shared store's claimants wait for.
@Suite(.timeLimit(.minutes(1))) struct WakeUpsTests {
    @Test func aWakeUpBeforeTheWaitIsNotLost() async {
        let wakeUps = WakeUps()
        // A claimant reads the generation, claims nothing; a notification comes before it waits.
        let generation = wakeUps.generation(of: "billing")
        wakeUps.wake(group: "billing")
        // Returns at once (without the generation it would wait the hour).
        await wakeUps.wait(group: "billing", timeout: .seconds(3600), since: generation)
        #expect(wakeUps.generation(of: "billing") == generation + 1)
    }

    @Test func aWakeUpOfEveryGroupCountsForEach() async {
        let wakeUps = WakeUps()
        let billing = wakeUps.generation(of: "billing")
        let shipping = wakeUps.generation(of: "shipping")
        wakeUps.wake(group: "shipping")
        #expect(wakeUps.generation(of: "billing") == billing)
        wakeUps.wakeAll()
        #expect(wakeUps.generation(of: "billing") == billing + 1)
        #expect(wakeUps.generation(of: "shipping") == shipping + 2)
        await wakeUps.wait(group: "billing", timeout: .seconds(3600), since: billing)
    }
}
