import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Testing

/// A durable mailbox, once declared in a process, keeps storing until it is removed: its
/// consumers come and go.
@Suite struct DurableMailboxLifetimeTests {
    @Test func aDroppedHandleStillStoresEveryEvent() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "kept", directory: directory, sync: .none)
        let bus = Bus()
        _ = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        for id in 1...3 {
            let report = try await bus.publish(OrderPlaced(id: id))
            #expect(!report.isDead)
            #expect(report.enqueued == 1)
        }
        #expect(bus.statistics().deadEvents == 0)
        #expect(bus.subscriptionCount(strategy: .mailbox) == 1)
        // A consumer attaches by declaring the mailbox again.
        var iterator = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox).makeAsyncIterator()
        var ids: [Int] = []
        for _ in 1...3 { ids.append(try #require(try await iterator.next()).event.id) }
        #expect(ids == [1, 2, 3])
        await bus.shutdown(draining: .zero)
    }

    @Test func cancellingAConsumerDetachesItAndTheMailboxGoesOn() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "detach", directory: directory, sync: .none)
        let bus = Bus()
        let first = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        // A task waiting for the next delivery ends when its handle is cancelled.
        let waiting = Task {
            var iterator = first.makeAsyncIterator()
            return try await iterator.next()?.event.id
        }
        while first.metrics().waitingConsumers == 0 { await Task.yield() }
        first.cancel()
        #expect(try await waiting.value == nil)
        for id in 1...2 { try await bus.publish(OrderPlaced(id: id)) }
        let second = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: mailbox,
            acknowledgement: .manual(visibilityTimeout: nil)
        )
        var iterator = second.makeAsyncIterator()
        for id in 1...2 {
            let delivery = try #require(try await iterator.next())
            #expect(delivery.event.id == id)
            try await delivery.ack()
        }
        second.cancel()
        // A consumer the bus runs stops on cancel; the events after it wait for the next one.
        let handled = Collector<Int>()
        let consumer = try await bus.consume(OrderPlaced.self, mailbox: mailbox) { handled.append($0.id) }
        try await bus.publish(OrderPlaced(id: 3))
        await bus.waitUntilIdle()
        #expect(handled.values == [3])
        consumer.cancel()
        try await bus.publish(OrderPlaced(id: 4))
        #expect(consumer.metrics().depth == 1)
        #expect(handled.values == [3])
        await bus.shutdown(draining: .zero)
    }

    @Test func declaringAMailboxWithAnotherEventTypeIsRefused() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "typed", directory: directory, sync: .none)
        let bus = Bus()
        _ = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        await #expect {
            try await bus.subscribe(ParcelShipped.self, mailbox: mailbox)
        } throws: { error in
            guard case BusError.queueTypeMismatch("typed", let expected, let actual) = error else { return false }
            return expected == OrderPlaced.eventName && actual == ParcelShipped.eventName
        }
        await bus.shutdown(draining: .zero)
    }

    @Test func removingAMailboxStopsItAndDeletesItsFiles() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "gone", directory: directory, sync: .none)
        let bus = Bus()
        let consumer = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        try await bus.publish(OrderPlaced(id: 1))
        try bus.removeMailbox(mailbox)
        #expect(!FileManager.default.fileExists(atPath: directory + "/gone"))
        var iterator = consumer.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
        let report = try await bus.publish(OrderPlaced(id: 2))
        #expect(report.isDead)
        // Declared again, it starts empty.
        let fresh = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect(fresh.metrics().depth == 0)
        #expect(fresh.recoveryReport?.pending == 0)
        await bus.shutdown(draining: .zero)
        // Removing one that another bus holds open is refused; one that is not there is fine.
        let holder = Bus()
        _ = try await holder.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect {
            try Bus().removeMailbox(mailbox)
        } throws: { error in
            guard case BusError.mailboxUnavailable("gone", .locked) = error else { return false }
            return true
        }
        await holder.shutdown(draining: .zero)
        try Bus().removeMailbox(.durable(name: "never-there", directory: directory))
    }
}
