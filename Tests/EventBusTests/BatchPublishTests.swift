import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Testing

/// Records the metadata its handler sees through `EventContext`.
actor ContextObserver: EventHandler {
    var seen: [EventMetadata] = []
    static func declareHandlers(_ handlers: inout EventHandlers<ContextObserver>) {
        handlers.handle(OrderPlaced.self) { observer, _ in
            if let metadata = EventContext.current?.metadata { observer.seen.append(metadata) }
        }
    }
}

@Suite struct BatchPublishTests {
    func orders(_ ids: ClosedRange<Int>) -> [OrderPlaced] { ids.map { OrderPlaced(id: $0) } }

    /// The first `count` deliveries of the durable mailbox `name`, opened again on a new bus
    /// (shut down afterwards): what survived the restart.
    func redelivered(_ count: Int, from name: String, in directory: String) async throws -> [Delivery<OrderPlaced>] {
        let bus = Bus()
        var durable = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: name, directory: directory)
        ).makeAsyncIterator()
        var deliveries: [Delivery<OrderPlaced>] = []
        for _ in 0..<count { deliveries.append(try #require(await durable.next())) }
        await bus.shutdown(draining: .zero)
        return deliveries
    }

    @Test(.timeLimit(.minutes(1)))
    func aBatchReachesEveryStrategyInOrderAndSurvivesARestartInADurableMailbox() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let bus = Bus()
            let durable = try await bus.subscribe(
                OrderPlaced.self,
                mailbox: .durable(name: "batch", directory: directory, sync: .always)
            )
            var memory = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.unbounded)).makeAsyncIterator()
            let called = Collector<Int>()
            try bus.on(OrderPlaced.self) { called.append($0.id) }
            let observer = ContextObserver()
            try bus.register(observer)

            let reports = try await bus.publish(contentsOf: orders(1...50))

            #expect(reports.count == 50)
            #expect(reports.allSatisfy { $0.enqueued == 3 && $0.observed == 1 && $0.succeeded })
            #expect(Set(reports.map(\.eventID)).count == 50)
            var fromMemory: [Int] = []
            for _ in 1...50 { fromMemory.append(try #require(await memory.next()).event.id) }
            #expect(fromMemory == Array(1...50))
            await bus.waitUntilIdle()
            #expect(called.values == Array(1...50))
            // Each observer call saw its own event's metadata.
            #expect(await observer.seen.map(\.id) == reports.map(\.eventID))
            await bus.shutdown(draining: .zero)
            _ = durable
        }
        let stored = try await redelivered(50, from: "batch", in: directory)
        #expect(stored.map(\.event.id) == Array(1...50))
    }

    @Test(.timeLimit(.minutes(1)))
    func aBatchLargerThanADurableMailboxWaitsForItsConsumerAndKeepsItsOrder() async throws {
        let bus = Bus()
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let durable = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "small", directory: scratch, sync: .none, capacity: 4)
        )
        let consumer = Task {
            var ids: [Int] = []
            for try await delivery in durable {
                ids.append(delivery.event.id)
                if ids.count == 30 { break }
            }
            return ids
        }
        try await bus.publish(contentsOf: orders(1...30))
        #expect(try await consumer.value == Array(1...30))
        await bus.shutdown(draining: .zero)
    }

    @Test(arguments: [false, true])
    func aFullMailboxRefusesSomeEventsAndEveryoneElseStillGetsTheWholeBatch(withMiddleware: Bool) async throws {
        let bus = Bus()
        if withMiddleware { bus.use(Tracing(name: "t", log: Collector())) }
        let full = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.bounded(2, overflow: .fail)))
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let durable = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "all", directory: directory, sync: .none)
        )
        let called = Collector<Int>()
        try bus.on(OrderPlaced.self) { called.append($0.id) }
        let error = await #expect(throws: BusError.self) { try await bus.publish(contentsOf: orders(1...5)) }
        guard case .rejectedInBatch(let name, let reports)? = error else {
            Issue.record("expected rejectedInBatch, got \(String(describing: error))")
            return
        }
        #expect(name == OrderPlaced.eventName)
        #expect(reports.map(\.rejectedBy.isEmpty) == [true, true, false, false, false])
        #expect(reports.map(\.succeeded) == [true, true, false, false, false])
        #expect(reports.map(\.enqueued) == [3, 3, 2, 2, 2])
        #expect(error?.description.hasPrefix("3 of 5 ") == true)
        await bus.waitUntilIdle()
        #expect(called.values == [1, 2, 3, 4, 5])
        #expect(durable.metrics().depth == 5)
        #expect(full.metrics().depth == 2)
        await bus.shutdown(draining: .zero)
    }

    @Test func withMiddlewareEveryEventPassesThroughItAndDurableMailboxesGetItsChanges() async throws {
        let bus = Bus()
        let log = Collector<String>()
        bus.use(Tracing(name: "t", log: log))
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var durable = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "traced", directory: scratch, sync: .none)
        ).makeAsyncIterator()
        try await bus.publish(contentsOf: orders(1...3))
        #expect(log.values.filter { $0 == "t.will" }.count == 3)
        for expected in 1...3 {
            let delivery = try #require(await durable.next())
            #expect(delivery.event.id == expected)
            #expect(delivery.metadata.headers["seen-by"] == "t")
        }
        await bus.shutdown(draining: .zero)
    }

    @Test func aMiddlewareRejectionStopsTheBatchWhereItHappens() async throws {
        let bus = Bus()
        bus.use(FilterMiddleware(reason: "no third order") { ($0.event as? OrderPlaced)?.id != 3 })
        var memory = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.unbounded)).makeAsyncIterator()
        let error = await #expect(throws: EventRejected.self) { try await bus.publish(contentsOf: orders(1...5)) }
        #expect(error?.eventName == OrderPlaced.eventName)
        #expect(try #require(await memory.next()).event.id == 1)
        #expect(try #require(await memory.next()).event.id == 2)
        await bus.shutdown(draining: .zero)
        #expect(try await memory.next() == nil)
    }

    @Test func everyEventGetsItsOwnIdAndTheBatchsMetadata() async throws {
        let bus = Bus()
        var memory = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.unbounded)).makeAsyncIterator()
        let reports = try await bus.publish(
            contentsOf: orders(1...3),
            priority: .high,
            headers: ["tenant": "t1"],
            correlationID: "checkout-7"
        )
        for report in reports {
            let metadata = try #require(await memory.next()).metadata
            #expect(metadata.id == report.eventID)
            #expect(metadata.priority == .high)
            #expect(metadata.headers == ["tenant": "t1"])
            #expect(metadata.correlationID == "checkout-7")
        }
        await bus.shutdown()
    }

    @Test(.timeLimit(.minutes(1)))
    func aDurableMailboxKeepsTheBatchsLaneAndMetadataAcrossARestart() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var ids: [EventID] = []
        do {
            let bus = Bus()
            let durable = try await bus.subscribe(
                OrderPlaced.self,
                mailbox: .durable(name: "lanes", directory: directory, sync: .always)
            )
            try await bus.publish(OrderPlaced(id: 0))
            let reports = try await bus.publish(
                contentsOf: orders(1...3),
                priority: .high,
                headers: ["tenant": "t1"],
                correlationID: "checkout-7"
            )
            ids = reports.map(\.eventID)
            await bus.shutdown(draining: .zero)
            _ = durable
        }
        let delivered = try await redelivered(4, from: "lanes", in: directory).map {
            (id: $0.event.id, metadata: $0.metadata)
        }
        // The high lane first, in batch order, then the earlier normal event.
        #expect(delivered.map(\.id) == [1, 2, 3, 0])
        #expect(delivered.prefix(3).map(\.metadata.id) == ids)
        #expect(delivered.prefix(3).allSatisfy { $0.metadata.priority == .high })
        #expect(delivered.prefix(3).allSatisfy { $0.metadata.headers == ["tenant": "t1"] })
        #expect(delivered.prefix(3).allSatisfy { $0.metadata.correlationID == "checkout-7" })
        #expect(delivered[3].metadata.priority == .normal)
    }

    @Test func aBatchNobodyHandlesBuriesEachEvent() async throws {
        let bus = Bus()
        let dead = Collector<Int>()
        try bus.on(DeadEvent.self) { if let order = $0.event as? OrderPlaced { dead.append(order.id) } }
        let reports = try await bus.publish(contentsOf: orders(1...3))
        #expect(reports.allSatisfy { $0.isDead })
        await bus.waitUntilIdle()
        #expect(dead.values == [1, 2, 3])
        await bus.shutdown()
    }

    @Test func anEmptyBatchPublishesNothingAndAfterShutdownEveryBatchIsRefused() async throws {
        let bus = Bus()
        #expect(try await bus.publish(contentsOf: [OrderPlaced]()).isEmpty)
        await bus.shutdown()
        await #expect(throws: BusError.self) { try await bus.publish(contentsOf: [OrderPlaced]()) }
        await #expect(throws: BusError.self) { try await bus.publish(contentsOf: orders(1...2)) }
    }
}
