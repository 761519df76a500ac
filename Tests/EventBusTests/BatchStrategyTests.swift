import EventBusTesting
import EventLog
import EventQueue
import Testing

@testable import EventBus

/// `publish(contentsOf:)` for the strategies in memory: each subscription takes the batch at
/// once, in order, and the reports keep their per-event shape.
@Suite struct BatchStrategyTests {
    func orders(_ ids: ClosedRange<Int>) -> [OrderPlaced] { ids.map { OrderPlaced(id: $0) } }

    @Test func eachObserverGetsTheBatchInOrderAndEachEventReachesTheObserversInOrder() async throws {
        let bus = Bus()
        let log = Collector<String>()
        let first = NamedObserver("a", log: log)
        let second = NamedObserver("b", log: log)
        try bus.register(first)
        try bus.register(second)

        let reports = try await bus.publish(contentsOf: orders(1...20))

        #expect(reports.allSatisfy { $0.observed == 2 && $0.succeeded })
        let values = log.values
        #expect(values.filter { $0.hasPrefix("a ") } == (1...20).map { "a \($0)" })
        #expect(values.filter { $0.hasPrefix("b ") } == (1...20).map { "b \($0)" })
        for id in 1...20 {
            let a = try #require(values.firstIndex(of: "a \(id)"))
            let b = try #require(values.firstIndex(of: "b \(id)"))
            #expect(a < b)
        }
        withExtendedLifetime((first, second)) {}
        await bus.shutdown()
    }

    @Test func aWaitingSubscriberIsWokenOnceAndTakesTheWholeBatch() async throws {
        let bus = Bus()
        let deliveries = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.unbounded))
        let queue = deliveries.queue
        let take = Task { try await queue.nextBoxed(maxCount: 100) }
        // Wait for the exact condition: the subscriber waits for work.
        while queue.metrics().waitingConsumers == 0 { await Task.yield() }

        try await bus.publish(contentsOf: orders(1...50))

        let batch = try #require(try await take.value)
        #expect(batch.count == 50)
        #expect(batch.map { WorkQueue<Envelope<OrderPlaced>>.typed($0.element).event.id } == Array(1...50))
        await bus.shutdown()
    }

    @Test func theReportsKeepTheirShapeWithAFailureOfOneEvent() async throws {
        let bus = Bus()
        let log = Collector<String>()
        let observer = NamedObserver("a", log: log, failOn: 3)
        try bus.register(observer)
        let handled = Collector<Int>()
        try bus.on(OrderPlaced.self, inline: true) { handled.append($0.id) }
        try bus.on(OrderPlaced.self) { _ in }
        let mailbox = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.unbounded))

        let reports = try await bus.publish(contentsOf: orders(1...5))

        #expect(reports.map(\.observed) == [1, 1, 0, 1, 1])
        #expect(reports.map(\.failures.count) == [0, 0, 1, 0, 0])
        #expect(reports.map(\.enqueued) == [2, 2, 2, 2, 2])
        #expect(reports.map(\.handledInline) == [1, 1, 1, 1, 1])
        #expect(reports[2].failures.first?.eventID == reports[2].eventID)
        #expect(handled.values == [1, 2, 3, 4, 5])
        #expect(mailbox.metrics().depth == 5)
        #expect(bus.statistics().handlerFailures == 1)
        withExtendedLifetime(observer) {}
        await bus.shutdown()
    }

    @Test func eachEventGetsItsOwnOrderingKeyAndIdAndARepeatedIdIsDropped() async throws {
        let bus = Bus()
        var mailbox = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .memory(.unbounded),
            dedup: DedupWindow(count: 100)
        ).makeAsyncIterator()
        let ids = (1...3).map { EventID(high: 7, low: UInt64($0)) }
        let reports = try await bus.publish(
            contentsOf: orders(1...3),
            orderingKey: { "customer-\($0.id % 2)" },
            id: { ids[$0.id - 1] }
        )
        #expect(reports.map(\.eventID) == ids)
        for order in 1...3 {
            let delivery = try #require(await mailbox.next())
            #expect(delivery.event.id == order)
            #expect(delivery.metadata.id == ids[order - 1])
            #expect(delivery.metadata.orderingKey == "customer-\(order % 2)")
        }
        // The same ids again: the dedup window drops every one; a nil id is a fresh one.
        let again = try await bus.publish(contentsOf: orders(1...3), id: { $0.id == 2 ? nil : ids[$0.id - 1] })
        #expect(again.map(\.duplicates) == [1, 0, 1])
        #expect(try #require(await mailbox.next()).event.id == 2)
        await bus.shutdown()
    }
}
