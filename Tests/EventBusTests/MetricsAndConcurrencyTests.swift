import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@Suite struct MetricsAndConcurrencyTests {
    @Test func busMetricsGatherEveryQueue() async throws {
        let bus = Bus()
        try bus.on(OrderPlaced.self) { _ in }
        let mailbox = try await bus.subscribe(OrderPlaced.self)
        for id in 1...10 { try await bus.publish(OrderPlaced(id: id)) }
        await bus.waitUntilIdle()
        let metrics = bus.metrics()
        #expect(metrics.queues.count == 2)
        #expect(metrics.total.enqueued == 20)
        #expect(metrics.total.depth == 10)
        #expect(mailbox.metrics().depth == 10)
        #expect(metrics.queues.contains { $0.name.hasPrefix("callback") && $0.acked == 10 })
    }

    @Test func eventsASubscriberFetchedAheadAreInFlightAndEveryEventIsAccountedFor() async throws {
        let bus = Bus()
        let orders = try await bus.subscribe(OrderPlaced.self)
        for id in 1...500 { try await bus.publish(OrderPlaced(id: id)) }
        var iterator = orders.makeAsyncIterator()
        for _ in 0..<201 { _ = try await iterator.next() }
        let metrics = orders.metrics()
        // The iterator took its 26th batch of 8: the 201st event is being handled, 7 wait in it.
        #expect(metrics.depth == 292)
        #expect(metrics.inFlight == 8)
        #expect(metrics.acked == 200)
        let accounted =
            UInt64(metrics.depth + metrics.delayed + metrics.inFlight) + metrics.acked + metrics.deadLettered
            + metrics.dropped
        #expect(accounted == metrics.enqueued)
        #expect(bus.metrics().total.inFlight == 8)
    }

    @Test func manyConcurrentPublishersAndSubscribersLoseNothing() async throws {
        let bus = Bus()
        let callbackCounts = (0..<5).map { _ in Collector<Int>() }
        for counts in callbackCounts { try bus.on(OrderPlaced.self) { counts.append($0.id) } }
        let consumed = (0..<5).map { _ in Collector<Int>() }
        for counts in consumed { try await bus.consume(OrderPlaced.self) { counts.append($0.id) } }
        let inventories = (0..<3).map { _ in Inventory() }
        for inventory in inventories { try bus.register(inventory) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<8 {
                group.addTask {
                    for index in 0..<500 { try await bus.publish(OrderPlaced(id: publisher * 1_000 + index)) }
                }
            }
            try await group.waitForAll()
        }
        await bus.waitUntilIdle()
        for counts in callbackCounts + consumed { #expect(counts.count == 4_000) }
        for inventory in inventories { #expect(await inventory.placed.count == 4_000) }
    }

    @Test func subscribingWhilePublishingIsSafe() async throws {
        let bus = Bus()
        let publisher = Task {
            for id in 0..<2_000 { try await bus.publish(OrderPlaced(id: id)) }
        }
        var subscriptions: [Subscription] = []
        for _ in 0..<50 {
            subscriptions.append(try bus.on(OrderPlaced.self) { _ in })
            if subscriptions.count % 3 == 0 { subscriptions.removeFirst().cancel() }
            await Task.yield()
        }
        try await publisher.value
        await bus.waitUntilIdle()
        #expect(bus.subscriptionCount() == subscriptions.count)
    }
}
