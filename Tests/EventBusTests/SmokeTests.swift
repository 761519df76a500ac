import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@Suite struct SmokeTests {
    @Test func observerCallbackMailbox() async throws {
        let bus = Bus()
        let inventory = Inventory()
        try bus.register(inventory)
        let seen = Collector<Int>()
        try bus.on(OrderPlaced.self) { seen.append($0.id) }
        let mailbox = try await bus.subscribe(OrderPlaced.self)
        for id in 1...3 { try await bus.publish(OrderPlaced(id: id)) }
        #expect(await inventory.placed == [1, 2, 3])
        var ids: [Int] = []
        for try await delivery in mailbox {
            ids.append(delivery.event.id)
            if ids.count == 3 { break }
        }
        #expect(ids == [1, 2, 3])
        await bus.waitUntilIdle()
        #expect(seen.values == [1, 2, 3])
        await bus.shutdown()
    }
}
