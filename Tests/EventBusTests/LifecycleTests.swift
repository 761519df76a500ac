import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@Suite struct LifecycleTests {
    @Test func publishingAfterShutdownIsAClearError() async throws {
        let bus = Bus()
        try bus.on(OrderPlaced.self) { _ in }
        await bus.shutdown()
        #expect(bus.isShutDown)
        await #expect(throws: BusError.self) { try await bus.publish(OrderPlaced(id: 1)) }
        await #expect(throws: BusError.self) { try await bus.send(ResizeImage(number: 1), to: "q") }
        await #expect(throws: BusError.self) { try await bus.request(GetQuote(symbol: "x"), timeout: .seconds(1)) }
        #expect(throws: BusError.self) { try bus.on(OrderPlaced.self) { _ in } }
        await #expect(throws: BusError.self) { try await bus.subscribe(OrderPlaced.self) }
        await #expect(throws: BusError.self) { try await bus.publish(Reminder(text: ""), after: .seconds(1)) }
    }

    /// The bus runs on a manual clock that never moves, so the drain deadline cannot pass however
    /// long a busy machine keeps the handlers from running (it did, under ThreadSanitizer).
    @Test func shutdownDrainsQueuedCallbacksAndMailboxes() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))
        let seen = Collector<Int>()
        try bus.on(OrderPlaced.self) { order in
            await Task.yield()
            seen.append(order.id)
        }
        let handled = Collector<Int>()
        try await bus.consume(OrderPlaced.self) { handled.append($0.id) }
        for id in 1...200 { try await bus.publish(OrderPlaced(id: id)) }
        let report = await bus.shutdown(draining: .seconds(60))
        #expect(report.drained)
        #expect(report.abandoned == 0)
        #expect(seen.values == Array(1...200))
        #expect(handled.values == Array(1...200))
    }

    @Test func aHungHandlerCannotHoldShutdownPastItsDeadline() async throws {
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let gate = Gate()
        try bus.on(OrderPlaced.self) { _ in await gate.wait() }
        try await bus.publish(OrderPlaced(id: 1))
        try await bus.publish(OrderPlaced(id: 2))
        let shutdown = Task { await bus.shutdown(draining: .seconds(5)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(5))
        let report = await shutdown.value
        #expect(!report.drained)
        // Both events were handed to the stuck handler in one batch; neither finished.
        #expect(report.abandoned == 2)
        await gate.open()
    }

    @Test func shutdownTwiceReturnsTheFirstReport() async throws {
        let bus = Bus()
        let first = await bus.shutdown()
        let second = await bus.shutdown()
        #expect(first == second)
    }

    @Test func shutdownEndsMailboxIteration() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(OrderPlaced.self)
        try await bus.publish(OrderPlaced(id: 1))
        let consumer = Task {
            var received: [Int] = []
            for try await delivery in mailbox { received.append(delivery.event.id) }
            return received
        }
        await bus.shutdown(draining: .seconds(60))
        #expect(try await consumer.value == [1])
    }

    @Test func droppingABusEndsItsConsumers() async throws {
        var bus: Bus? = Bus()
        let mailbox = try await bus!.subscribe(OrderPlaced.self)
        bus = nil
        var received = 0
        for try await _ in mailbox { received += 1 }
        #expect(received == 0)
    }
}
