import EventBus
import EventBusTesting
import Foundation
import Testing

/// The README and guide examples, compiled and run.
@Suite struct GuideSnippetTests {
    struct OrderPlaced: Event, Codable {
        let id: Int
        let cents: Int
    }

    actor Inventory: EventHandler {
        var reserved = 0
        static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
            handlers.on(OrderPlaced.self) { inventory, _ in inventory.reserved += 1 }
        }
    }

    @Test func theReadmeExampleRuns() async throws {
        let directory = temporaryFolder()
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
            handlers.on(GuideOrder.self) { inventory, order in
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
        let directory = temporaryFolder()
        let paymentGateway = PaymentGateway()
        let bus = Bus()
        let billing = try await bus.consume(
            GuideOrder.self,
            mailbox: .durable(name: "billing", directory: directory, sync: .batched),
            retry: .exponential(maxAttempts: 5, initial: .milliseconds(50))
        ) { order in
            try await paymentGateway.charge(order)  // throwing = retry later
        }
        let orders = try await bus.subscribe(to: GuideOrder.self, mailbox: .bounded(1_000, overflow: .dropOldest))
        try await bus.publish(GuideOrder(id: 1, cents: 5))
        await bus.waitUntilIdle()
        #expect(paymentGateway.charged.values == [1])
        for letter in billing.deadLetters() { print(letter.element.event.id, letter.reason) }
        try await billing.requeueDeadLetters()
        for try await delivery in orders {
            #expect(delivery.event.id == 1)  // acknowledged when you ask for the next one
            break
        }

        let recorder = try EventRecorder(bus)
        try await bus.publish(GuideOrder(id: 3, cents: 5))
        let placed = try await recorder.wait(for: GuideOrder.self)
        await bus.waitUntilIdle()
        #expect(placed.map(\.id) == [3])
        orders.cancel()  // nobody will read it: do not let shutdown wait for it
        await bus.shutdown()
    }
}
