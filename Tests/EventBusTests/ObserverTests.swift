import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@Suite struct ObserverTests {
    @Test func publishReturnsAfterTheObserverHandledTheEvent() async throws {
        let bus = Bus()
        let inventory = Inventory()
        try bus.register(inventory)
        let report = try await bus.publish(OrderPlaced(id: 7))
        #expect(await inventory.placed == [7])
        #expect(report.observed == 1)
        #expect(report.succeeded)
    }

    @Test func oneActorHandlesSeveralEventTypes() async throws {
        let bus = Bus()
        let inventory = Inventory()
        let subscription = try bus.register(inventory)
        try await bus.publish(OrderPlaced(id: 1))
        try await bus.publish(OrderCancelled(id: 1))
        #expect(await inventory.placed == [1])
        #expect(await inventory.cancelled == [1])
        #expect(bus.subscriptionCount(strategy: .observer) == 2)
        subscription.cancel()
        #expect(bus.subscriptionCount() == 0)
    }

    @Test func observersRunInRegistrationOrder() async throws {
        let bus = Bus()
        let log = Collector<String>()
        let observers = (0..<5).map { NamedObserver("o\($0)", log: log) }
        for observer in observers { try bus.register(observer) }
        try await bus.publish(OrderPlaced(id: 1))
        #expect(log.values == ["o0 1", "o1 1", "o2 1", "o3 1", "o4 1"])
    }

    @Test func explicitOrderComesBeforeRegistrationOrder() async throws {
        let bus = Bus()
        let log = Collector<String>()
        let late = NamedObserver("late", log: log)
        let early = NamedObserver("early", log: log)
        let middle = NamedObserver("middle", log: log)
        try bus.register(late, order: 10)
        try bus.register(middle)
        try bus.register(early, order: -10)
        try await bus.publish(OrderPlaced(id: 2))
        #expect(log.values == ["early 2", "middle 2", "late 2"])
    }

    @Test func aThrowingObserverDoesNotStopTheOthers() async throws {
        let bus = Bus()
        let log = Collector<String>()
        let first = NamedObserver("first", log: log, failOn: 3)
        let second = NamedObserver("second", log: log)
        try bus.register(first)
        try bus.register(second)
        let report = try await bus.publish(OrderPlaced(id: 3))
        #expect(log.values == ["first 3", "second 3"])
        #expect(report.observed == 1)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.error as? Boom == Boom(code: 3))
        #expect(report.failures.first?.strategy == .observer)
        #expect(!report.succeeded)
        // The bus is still alive.
        let next = try await bus.publish(OrderPlaced(id: 4))
        #expect(next.observed == 2)
    }

    @Test func handlerFailuresArePublishedAsEvents() async throws {
        let bus = Bus()
        let failures = try await bus.subscribe(HandlerFailure.self)
        try bus.register(NamedObserver("x", log: Collector(), failOn: 5)).self
        let observer = NamedObserver("y", log: Collector(), failOn: 5)
        try bus.register(observer)
        try await bus.publish(OrderPlaced(id: 5))
        var iterator = failures.makeAsyncIterator()
        let failure = try #require(try await iterator.next())
        #expect(failure.event.eventName == OrderPlaced.eventName)
        #expect(failure.event.error as? Boom == Boom(code: 5))
        #expect(bus.statistics().handlerFailures >= 1)
        _ = observer
    }

    @Test func aReleasedObserverIsUnsubscribed() async throws {
        let bus = Bus()
        var inventory: Inventory? = Inventory()
        try bus.register(try #require(inventory))
        #expect(bus.subscriptionCount() == 2)
        inventory = nil
        // Counted right away, without a publish to notice it.
        #expect(bus.subscriptionCount() == 0)
        #expect(bus.subscriptionCount(strategy: .observer) == 0)
    }

    @Test func thePublishThatFindsItsOnlyObserverReleasedIsDead() async throws {
        let bus = Bus()
        let dead = try await bus.subscribe(DeadEvent.self)
        var inventory: Inventory? = Inventory()
        try bus.register(try #require(inventory))
        // The route is compiled while the observer lives, so the publish still finds its entry.
        try await bus.publish(OrderPlaced(id: 1))
        inventory = nil
        let report = try await bus.publish(OrderPlaced(id: 2))
        #expect(report.observed == 0)
        #expect(report.isDead)
        var iterator = dead.makeAsyncIterator()
        let buried = try #require(try await iterator.next())
        #expect((buried.event.event as? OrderPlaced)?.id == 2)
        #expect(bus.statistics().deadEvents == 1)
    }

    @Test func theBusDoesNotKeepAnObserverAlive() async throws {
        let bus = Bus()
        weak var weakInventory: Inventory?
        do {
            let inventory = Inventory()
            weakInventory = inventory
            try bus.register(inventory)
            try await bus.publish(OrderPlaced(id: 1))
        }
        #expect(weakInventory == nil)
    }

    @Test func aCancelledObserverIsNotCalled() async throws {
        let bus = Bus()
        let inventory = Inventory()
        let subscription = try bus.register(inventory)
        #expect(subscription.isActive)
        subscription.cancel()
        subscription.cancel()
        #expect(!subscription.isActive)
        let report = try await bus.publish(OrderPlaced(id: 1))
        #expect(await inventory.placed.isEmpty)
        #expect(report.isDead)
    }

    @Test func observersSeeTheMetadataOfTheirEvent() async throws {
        actor MetadataObserver: EventHandler {
            var seen: [EventMetadata] = []
            static func declareHandlers(_ handlers: inout EventHandlers<MetadataObserver>) {
                handlers.handle(OrderPlaced.self) { observer, _ in
                    if let metadata = EventContext.current?.metadata { observer.seen.append(metadata) }
                }
            }
        }
        let bus = Bus()
        let observer = MetadataObserver()
        try bus.register(observer)
        let report = try await bus.publish(
            OrderPlaced(id: 1),
            priority: .high,
            headers: ["tenant": "acme"],
            correlationID: "c-1"
        )
        let seen = await observer.seen
        #expect(seen.count == 1)
        #expect(seen.first?.id == report.eventID)
        #expect(seen.first?.headers == ["tenant": "acme"])
        #expect(seen.first?.priority == .high)
        #expect(seen.first?.correlationID == "c-1")
        #expect(seen.first?.attempt == 1)
    }
}
