import EventBus
import EventLog
import EventQueue
import Foundation
import Testing

@testable import EventBusCLI

/// `Bus.purgeMailbox(_:)` and the CLI's local `purge`: what is deleted, what stays, and that a
/// mailbox another holder has open is refused.
@Suite struct PurgeTests {
    /// Orders 1–3 delivered (1 acknowledged, 2 and 3 dead letters), then 4 and 5 published and
    /// waiting. Returns the subscription and the dead letters' ids.
    static func fill(_ bus: Bus, _ mailbox: Mailbox) async throws -> (Deliveries<OrderPlaced>, [EventID]) {
        let orders = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: mailbox,
            acknowledgement: .manual(visibilityTimeout: nil)
        )
        for id in 1...3 { try await bus.publish(OrderPlaced(id: id)) }
        var iterator = orders.makeAsyncIterator()
        try await iterator.next()?.ack()
        try await iterator.next()?.nack(reason: "declined")
        try await iterator.next()?.nack(reason: "declined")
        for id in 4...5 { try await bus.publish(OrderPlaced(id: id)) }
        return (orders, orders.deadLetters().map(\.id))
    }

    @Test func purgingADeclaredMailboxDeletesWhatWaitsAndItsDeadLettersAndKeepsIt() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "billing", directory: directory, sync: .always)
        do {
            let bus = Bus()
            let (orders, dead) = try await Self.fill(bus, mailbox)
            #expect(dead.count == 2)
            #expect(orders.metrics().depth == 2)
            let report = try await bus.purgeMailbox(mailbox)
            #expect(report == PurgeReport(pending: 2, deadLetters: 2))
            #expect(report.description == "2 pending events and 2 dead letters")
            let metrics = orders.metrics()
            #expect(metrics.depth == 0)
            #expect(metrics.deadLetters == 0)
            #expect(metrics.purged == 2)
            // The mailbox stays: it goes on storing.
            try await bus.publish(OrderPlaced(id: 6))
            #expect(orders.metrics().depth == 1)
            _ = await bus.shutdown(draining: .zero)
        }
        // Stored: after a restart only order 6 is there.
        let bus = Bus()
        let orders = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect(orders.recoveryReport?.pending == 1)
        #expect(orders.recoveryReport?.deadLetters == 0)
        var iterator = orders.makeAsyncIterator()
        #expect(try await iterator.next()?.event.id == 6)
        _ = await bus.shutdown(draining: .zero)
    }

    @Test func aPurgeLetsAWaitingPublisherIn() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bus = Bus()
        let mailbox = Mailbox.durable(name: "small", directory: directory, sync: .none, capacity: 2)
        let orders = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        try await bus.publish(OrderPlaced(id: 1))
        try await bus.publish(OrderPlaced(id: 2))
        let third = Task { _ = try await bus.publish(OrderPlaced(id: 3)) }
        while orders.metrics().waitingProducers == 0 { await Task.yield() }
        #expect(try await bus.purgeMailbox(mailbox) == PurgeReport(pending: 2, deadLetters: 0))
        try await third.value
        #expect(orders.metrics().depth == 1)
        // Only durable mailboxes are purged by name: an in-memory one is a typed refusal.
        await #expect(throws: BusError.self) { try await bus.purgeMailbox(.memory(name: "audit")) }
        _ = await bus.shutdown(draining: .zero)
    }

    @Test func anUndeclaredMailboxIsPurgedFromItsFilesAndAHeldOneIsRefused() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "billing", directory: directory, sync: .always)
        do {
            let bus = Bus()
            _ = try await Self.fill(bus, mailbox)
            // Held by this bus: the CLI's purge (a bus of its own) is refused, nothing deleted.
            await #expect(throws: BusError.self) {
                try await MailboxTools.purge(directory: directory, name: "billing")
            }
            #expect(FileLog<[UInt8]>.isHeld(directory: directory, name: "billing"))
            _ = await bus.shutdown(draining: .zero)
        }
        #expect(!FileLog<[UInt8]>.isHeld(directory: directory, name: "billing"))
        let report = try await MailboxTools.purge(directory: directory, name: "billing")
        #expect(report == PurgeReport(pending: 2, deadLetters: 2))
        // Its files stay; nothing is left in them.
        let inspected = try LogInspector().inspect(directory + "/billing", name: "billing")
        #expect(inspected.pending.isEmpty && inspected.dead.isEmpty)
        #expect(
            try await MailboxTools.purge(directory: directory, name: "absent")
                == PurgeReport(pending: 0, deadLetters: 0)
        )
    }
}
