import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Testing

/// The README and guide examples, run, with what they print checked. (`.ci/snippets/run`
/// compiles every block of the documentation as written; these run the ones whose output a
/// guide shows.)
@Suite struct GuideSnippetTests {
    struct OrderPlaced: Event, Codable {
        let id: Int
        let cents: Int
    }

    actor Inventory: EventHandler {
        var reserved = 0
        static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
            handlers.handle(OrderPlaced.self) { inventory, _ in inventory.reserved += 1 }
        }
    }

    struct Greeting: Event { let text: String }

    @Test func theFirstEventRuns() async throws {
        let printed = Collector<String>()
        func print(_ text: String) { printed.append(text) }
        let bus = Bus()
        try bus.on(Greeting.self) { greeting in print(greeting.text) }  // a callback
        try await bus.publish(Greeting(text: "hello"))
        await bus.shutdown()  // lets the callback finish
        #expect(printed.values == ["hello"])
    }

    @Test func theReadmeExampleRuns() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let charged = Collector<Int>()
        @Sendable func charge(_ order: OrderPlaced) async throws { charged.append(order.id) }

        let bus = Bus()
        let inventory = Inventory()
        try bus.register(inventory)  // observer: publish awaits it
        try bus.on(OrderPlaced.self) { order in print("email for #\(order.id)") }  // callback
        let billing = try await bus.consume(  // durable mailbox, retried
            OrderPlaced.self,
            mailbox: .durable(name: "billing", directory: directory),
            retry: .exponential(maxAttempts: 5, initial: .milliseconds(50))
        ) { order in try await charge(order) }

        let report = try await bus.publish(OrderPlaced(id: 1, cents: 999))  // inventory has reserved now
        #expect(await inventory.reserved == 1)
        #expect(report.observed == 1 && report.enqueued == 2)
        await bus.shutdown(draining: .seconds(5))
        #expect(charged.values == [1])
        _ = billing
    }

    // Getting started, sections 4-9, as written there (with stand-ins for the app's services).

    struct GuideOrder: Event, Codable {
        static let eventName = "shop.order-placed.v1"
        let id: Int
        let cents: Int
    }

    actor GuideInventory: EventHandler {
        var reserved = 0
        static func declareHandlers(_ handlers: inout EventHandlers<GuideInventory>) {
            handlers.handle(GuideOrder.self) { inventory, order in
                inventory.reserved += 1  // runs isolated to the actor
            }
        }
    }

    actor Mailer {
        var sent: [Int] = []
        func sendConfirmation(for id: Int) { sent.append(id) }
    }

    struct PaymentGateway: Sendable {
        let charged = Collector<Int>()
        func charge(_ order: GuideOrder) async throws { charged.append(order.id) }
    }

    @Test func gettingStartedObserverCallbackAndShutdown() async throws {
        let bus = Bus()
        let inventory = GuideInventory()
        try bus.register(inventory)
        let report = try await bus.publish(GuideOrder(id: 1, cents: 999))
        #expect(await inventory.reserved == 1)
        #expect(report.failures.isEmpty)

        let mailer = Mailer()
        let subscription = try bus.on(GuideOrder.self) { order in
            await mailer.sendConfirmation(for: order.id)
        }
        try await bus.publish(GuideOrder(id: 2, cents: 5))
        await bus.waitUntilIdle()
        subscription.cancel()
        #expect(await mailer.sent == [2])

        let shutdown = await bus.shutdown(draining: .seconds(5))
        #expect(shutdown.drained)
    }

    @Test func gettingStartedDurableMailboxAndIteration() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let paymentGateway = PaymentGateway()
        let bus = Bus()
        let billing = try await bus.consume(
            GuideOrder.self,
            mailbox: .durable(name: "billing", directory: directory, sync: .batched),
            retry: .exponential(maxAttempts: 5, initial: .milliseconds(50))
        ) { order in
            try await paymentGateway.charge(order)  // throwing = retry later
        }
        let orders = try await bus.subscribe(GuideOrder.self, mailbox: .memory(.bounded(1_000, overflow: .dropOldest)))
        try await bus.publish(GuideOrder(id: 1, cents: 5))
        await bus.waitUntilIdle()
        #expect(paymentGateway.charged.values == [1])
        try await bus.publish(contentsOf: [GuideOrder(id: 2, cents: 500), GuideOrder(id: 3, cents: 700)])
        await bus.waitUntilIdle()
        #expect(paymentGateway.charged.values == [1, 2, 3])
        for letter in try await billing.deadLetters() { print(letter.element.event.id, letter.reason) }
        try await billing.requeueDeadLetters()
        for try await delivery in orders {
            #expect(delivery.event.id == 1)  // acknowledged when you ask for the next one
            break
        }

        let recorder = try EventRecorder(bus)
        try await bus.publish(GuideOrder(id: 4, cents: 5))
        let placed = try await recorder.wait(for: GuideOrder.self)
        await bus.waitUntilIdle()
        #expect(placed.map(\.id) == [4])
        orders.cancel()  // nobody will read it: do not let shutdown wait for it
        await bus.shutdown()
    }

    // Dispatch strategies: the middleware and protocol-subscription samples.

    struct SlowHandlerLog: Middleware {
        let threshold: Duration

        func willPublish(_ envelope: inout PublishEnvelope) throws {
            envelope.metadata.headers["published-by"] = "checkout"  // enrich
        }

        func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
            let start = ContinuousClock.now
            defer {
                let took = ContinuousClock.now - start
                if took > threshold { print("slow: \(invocation.eventName) \(invocation.strategy) \(took)") }
            }
            try await next()  // throw here to fail the invocation
        }
    }

    @Test func dispatchStrategiesMiddlewareSample() async throws {
        let bus = Bus()
        bus.use(SlowHandlerLog(threshold: .milliseconds(50)))  // every event
        bus.use(FilterMiddleware { $0.eventName != "debug" }, for: OrderPlaced.self)  // one type
        let recorder = try EventRecorder(bus)
        try bus.on(OrderPlaced.self) { _ in }
        try await bus.publish(OrderPlaced(id: 1, cents: 1))
        await bus.waitUntilIdle()
        #expect(recorder.records.first?.metadata.headers["published-by"] == "checkout")
    }

    @Test func dispatchStrategiesProtocolSample() async throws {
        let bus = Bus()
        let audited = Collector<Int>()
        let logged = Collector<String>()
        func audit(_ id: Int) { audited.append(id) }
        func log(_ event: any Event) { logged.append(type(of: event).eventName) }
        try bus.on(matching: (any OrderEvent).self) { event in audit(event.orderID) }
        try bus.on(matching: (any Event).self) { event in log(event) }  // everything
        try await bus.publish(Shipped(orderID: 3))
        await bus.waitUntilIdle()
        #expect(audited.values == [3])
        #expect(logged.values == [Shipped.eventName])
    }

    // Durable mailboxes: the opening sample.

    @Test func durableMailboxesSample() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let charged = Collector<Int>()
        @Sendable func charge(_ order: OrderPlaced) async throws { charged.append(order.id) }
        let bus = Bus()
        let billing = try await bus.consume(
            OrderPlaced.self,
            mailbox: .durable(name: "billing", directory: directory, sync: .batched, capacity: 100_000),
            retry: .exponential(maxAttempts: 5, initial: .milliseconds(50))
        ) { order in try await charge(order) }
        try await bus.publish(OrderPlaced(id: 8, cents: 1))
        await bus.waitUntilIdle()
        #expect(charged.values == [8])
        #expect(try await billing.deadLetters().isEmpty)
        await bus.shutdown()
    }

    @Test func theMetricsGuideExamplePrintsWhatTheGuideSays() async throws {
        let printed = Collector<String>()
        func print(_ items: Any...) { printed.append(items.map { "\($0)" }.joined(separator: " ")) }
        // Documentation/Metrics.md, "A worked example", as written there.
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let orders = try await bus.subscribe(OrderPlaced.self, acknowledgement: .manual(visibilityTimeout: nil))
        for id in 1...1_000 { try await bus.publish(OrderPlaced(id: id, cents: 1)) }

        var handled = 0
        for try await delivery in orders {  // 100 a second: 25, then 250 ms pass
            try await delivery.ack()
            handled += 1
            if handled % 25 == 0 { clock.advance(by: .milliseconds(250)) }
            if handled == 600 { break }  // six seconds
        }
        let metrics = orders.metrics()
        print(metrics.name, metrics.depth, metrics.inFlight, metrics.acked)
        print(metrics.arrivalRate, metrics.consumeRate, metrics.forecast)
        #expect(
            printed.values == [
                "mailbox \(OrderPlaced.eventName) 400 0 600",
                "0.0 100.0 drains in 4.0 s",
            ]
        )
    }
}
