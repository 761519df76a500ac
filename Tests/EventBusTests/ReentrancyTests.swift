import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

struct Ping: Event {
    let depth: Int
}

actor Relay: EventHandler {
    let bus: Bus
    var maxDepth = 0

    init(bus: Bus) {
        self.bus = bus
    }

    static func declareHandlers(_ handlers: inout EventHandlers<Relay>) {
        handlers.handle(Ping.self) { relay, ping in
            relay.maxDepth = max(relay.maxDepth, ping.depth)
            if ping.depth < 50 { try await relay.bus.publish(Ping(depth: ping.depth + 1)) }
        }
    }
}

@Suite struct ReentrancyTests {
    @Test func anObserverMayPublishFromItsHandler() async throws {
        let bus = Bus()
        let relay = Relay(bus: bus)
        try bus.register(relay)
        try await bus.publish(Ping(depth: 0))
        #expect(await relay.maxDepth == 50)
    }

    @Test func aCallbackMayPublishFromItsHandler() async throws {
        let bus = Bus()
        let seen = Collector<Int>()
        try bus.on(Ping.self) { ping in
            seen.append(ping.depth)
            if ping.depth < 20 { try await bus.publish(Ping(depth: ping.depth + 1)) }
        }
        try await bus.publish(Ping(depth: 0))
        await bus.waitUntilIdle()
        #expect(seen.values == Array(0...20))
    }

    @Test func aMailboxConsumerMayPublishIntoItsOwnFullMailbox() async throws {
        let bus = Bus()
        let seen = Collector<Int>()
        try await bus.consume(Ping.self, mailbox: .memory(.bounded(4, overflow: .suspendPublisher))) { ping in
            seen.append(ping.depth)
            if ping.depth < 30 { try await bus.publish(Ping(depth: ping.depth + 1)) }
        }
        try await bus.publish(Ping(depth: 0))
        await bus.waitUntilIdle()
        #expect(seen.values == Array(0...30))
    }

    @Test func anEventPublishedInsideAHandlerInheritsTheCorrelationID() async throws {
        let bus = Bus()
        let recorder = try EventRecorder(bus)
        try bus.on(OrderPlaced.self) { order in try await bus.publish(OrderCancelled(id: order.id)) }
        try await bus.publish(OrderPlaced(id: 1), correlationID: "checkout-9")
        try await recorder.wait(for: OrderCancelled.self)
        let cancelled = try #require(recorder.records.first { $0.event is OrderCancelled })
        #expect(cancelled.metadata.correlationID == "checkout-9")
    }

    @Test func withoutACorrelationIDTheHandledEventsIDIsInherited() async throws {
        let bus = Bus()
        let recorder = try EventRecorder(bus)
        try bus.on(OrderPlaced.self) { order in try await bus.publish(OrderCancelled(id: order.id)) }
        let report = try await bus.publish(OrderPlaced(id: 1))
        try await recorder.wait(for: OrderCancelled.self)
        let cancelled = try #require(recorder.records.first { $0.event is OrderCancelled })
        #expect(cancelled.metadata.correlationID == report.eventID.description)
    }
}
