import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@Suite struct RoutingTests {
    @Test func eventNamesDefaultToTheQualifiedTypeName() {
        #expect(OrderPlaced.eventName == "EventBusTests.OrderPlaced")
        #expect(Renamed.eventName == "orders.renamed.v1")
    }

    @Test func eventIDsAreUnique() async throws {
        let bus = Bus()
        var ids = Set<EventID>()
        for id in 0..<1_000 { ids.insert(try await bus.publish(OrderPlaced(id: id)).eventID) }
        #expect(ids.count == 1_000)
        let text = try #require(ids.first).description
        #expect(text.count == 32)
        #expect(EventID(text) == ids.first)
        #expect(EventID("not hex") == nil)
    }

    @Test func aProtocolSubscriptionReceivesEveryConformingType() async throws {
        let bus = Bus()
        let seen = Collector<Int>()
        try bus.on(matching: (any OrderEvent).self) { seen.append($0.orderID) }
        try await bus.publish(Shipped(orderID: 1))
        try await bus.publish(Delivered(orderID: 2))
        let unrelated = try await bus.publish(Unrelated(value: 3))
        await bus.waitUntilIdle()
        #expect(seen.values == [1, 2])
        #expect(unrelated.isDead)
    }

    @Test func protocolAndExactSubscriptionsBothReceive() async throws {
        let bus = Bus()
        let seen = Collector<String>()
        try bus.on(matching: (any OrderEvent).self) { seen.append("any \($0.orderID)") }
        try bus.on(Shipped.self) { seen.append("shipped \($0.orderID)") }
        let report = try await bus.publish(Shipped(orderID: 1))
        await bus.waitUntilIdle()
        #expect(report.enqueued == 2)
        #expect(Set(seen.values) == ["any 1", "shipped 1"])
    }

    @Test func theProtocolMatchIsComputedOncePerTypeAndCached() async throws {
        let bus = Bus()
        try bus.on(matching: (any OrderEvent).self) { _ in }
        let before = bus.statistics().compiledRoutes
        for id in 0..<100 { try await bus.publish(Shipped(orderID: id)) }
        #expect(bus.statistics().compiledRoutes == before + 1)
        for id in 0..<100 { try await bus.publish(Delivered(orderID: id)) }
        #expect(bus.statistics().compiledRoutes == before + 2)
    }

    @Test func theCacheIsInvalidatedWhenSubscriptionsChange() async throws {
        let bus = Bus()
        let seen = Collector<String>()
        try bus.on(Shipped.self) { seen.append("exact \($0.orderID)") }
        try await bus.publish(Shipped(orderID: 1))
        let pattern = try bus.on(matching: (any OrderEvent).self) { seen.append("any \($0.orderID)") }
        let second = try await bus.publish(Shipped(orderID: 2))
        #expect(second.enqueued == 2)
        pattern.cancel()
        let third = try await bus.publish(Shipped(orderID: 3))
        #expect(third.enqueued == 1)
        await bus.waitUntilIdle()
        #expect(seen.values.filter { $0.hasPrefix("any") } == ["any 2"])
    }

    @Test func anObserverCanSubscribeToAProtocol() async throws {
        actor Tracker: EventHandler {
            var orders: [Int] = []
            static func declareHandlers(_ handlers: inout EventHandlers<Tracker>) {
                handlers.handle(matching: (any OrderEvent).self) { tracker, event in
                    tracker.orders.append(event.orderID)
                }
            }
        }
        let bus = Bus()
        let tracker = Tracker()
        try bus.register(tracker)
        try await bus.publish(Shipped(orderID: 4))
        try await bus.publish(Delivered(orderID: 5))
        #expect(await tracker.orders == [4, 5])
    }

    @Test func everyEventMatchesAnyEvent() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(matching: (any Event).self)
        try await bus.publish(OrderPlaced(id: 1))
        try await bus.publish(Unrelated(value: 2))
        var iterator = mailbox.makeAsyncIterator()
        #expect(try await iterator.next()?.event is OrderPlaced)
        #expect(try await iterator.next()?.event is Unrelated)
    }

    @Test func anEventNobodyHandlesBecomesADeadEvent() async throws {
        let bus = Bus()
        let dead = try await bus.subscribe(DeadEvent.self)
        let report = try await bus.publish(Unrelated(value: 42))
        #expect(report.isDead)
        var iterator = dead.makeAsyncIterator()
        let delivery = try #require(try await iterator.next())
        #expect((delivery.event.event as? Unrelated)?.value == 42)
        #expect(delivery.event.metadata.id == report.eventID)
        #expect(bus.statistics().deadEvents == 1)
    }

    @Test func deadEventsWithoutSubscribersAreOnlyCounted() async throws {
        let bus = Bus()
        try await bus.publish(Unrelated(value: 1))
        #expect(bus.statistics().deadEvents == 2)
    }

    @Test func manyUnrelatedPatternSubscriptionsDoNotChangeDelivery() async throws {
        let bus = Bus()
        let seen = Collector<Int>()
        try bus.on(OrderPlaced.self) { seen.append($0.id) }
        for index in 0..<200 {
            try bus.on(matching: (any Indexed).self) { _ in }
            _ = index
        }
        try await bus.publish(OrderPlaced(id: 1))
        await bus.waitUntilIdle()
        #expect(seen.values == [1])
    }
}

/// A pattern that no event matches, used to fill the routing table.
protocol Indexed: Sendable {}
