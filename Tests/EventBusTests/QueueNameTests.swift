import EventBus
import Foundation
import Testing

/// Every mailbox, queue and callback can be told apart in metrics and errors.
@Suite struct QueueNameTests {
    @Test func everyQueueOfABusHasItsOwnName() async throws {
        let bus = Bus()
        let first = try await bus.subscribe(OrderPlaced.self)
        let second = try await bus.subscribe(OrderPlaced.self)
        let audit = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(name: "audit"))
        try bus.on(OrderPlaced.self, name: "mailer") { _ in }
        try bus.on(OrderPlaced.self) { _ in }
        try bus.on(OrderPlaced.self) { _ in }
        let names = bus.metrics().queues.map(\.name)
        #expect(names.count == 6)
        #expect(Set(names).count == names.count)
        #expect(first.metrics().name == "mailbox \(OrderPlaced.eventName)")
        #expect(second.metrics().name == "mailbox \(OrderPlaced.eventName) #2")
        #expect(audit.metrics().name == "audit")
        #expect(names.contains("mailer"))
        #expect(names.contains("callback \(OrderPlaced.eventName)"))
        #expect(names.contains("callback \(OrderPlaced.eventName) #2"))
    }

    @Test func aNameIsFreeAgainWhenItsQueueIsGone() async throws {
        let bus = Bus()
        let first = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(name: "audit"))
        let second = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(name: "audit"))
        #expect(second.metrics().name == "audit #2")
        first.cancel()
        let third = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(name: "audit"))
        #expect(third.metrics().name == "audit")
    }

    @Test func aFullMailboxIsNamedInTheError() async throws {
        let bus = Bus()
        let tiny = Mailbox.memory(.bounded(1, overflow: .fail), name: "tiny")
        let full = try await bus.subscribe(OrderPlaced.self, mailbox: tiny)
        let roomy = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.bounded(1, overflow: .fail)))
        try await bus.publish(OrderPlaced(id: 1))
        await #expect(throws: BusError.self) { try await bus.publish(OrderPlaced(id: 2)) }
        do {
            try await bus.publish(OrderPlaced(id: 3))
        } catch BusError.rejected(_, let mailboxes, _) {
            #expect(mailboxes == ["tiny", "mailbox \(OrderPlaced.eventName)"])
        }
        _ = (full, roomy)
    }

    @Test func twoDurableMailboxesOfOneNameInTwoDirectoriesAreTwoNames() async throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bus = Bus()
        let east = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "billing", directory: root + "/east")
        )
        let west = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "billing", directory: root + "/west")
        )
        #expect(east.metrics().name == "billing")
        #expect(west.metrics().name == "billing #2")
        _ = await bus.shutdown()
    }
}
