import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Synchronization
import Testing

/// Appends its name to a shared log at each hook.
struct Tracing: Middleware {
    let name: String
    let log: Collector<String>

    func willPublish(_ envelope: inout PublishEnvelope) throws {
        log.append("\(name).will")
        envelope.metadata.headers["seen-by", default: ""] += name
    }

    func didPublish(_ envelope: PublishEnvelope, result: Result<PublishReport, any Error>) {
        log.append("\(name).did")
    }

    func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
        log.append("\(name).before \(invocation.strategy)")
        try await next()
        log.append("\(name).after \(invocation.strategy)")
    }
}

struct Rejecting: Middleware {
    func willPublish(_ envelope: inout PublishEnvelope) throws {
        throw EventRejected(eventName: envelope.eventName, eventID: envelope.metadata.id, reason: "closed for the day")
    }
}

struct FailingInvocation: Middleware {
    func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
        throw Boom(code: 99)
    }
}

actor HeaderObserver: EventHandler {
    var headers: [[String: String]] = []
    static func declareHandlers(_ handlers: inout EventHandlers<HeaderObserver>) {
        handlers.handle(OrderPlaced.self) { observer, _ in
            observer.headers.append(EventContext.current?.metadata.headers ?? [:])
        }
    }
}

@Suite struct MiddlewareTests {
    @Test func middlewaresRunInInstallationOrderAroundTheHandler() async throws {
        let bus = Bus()
        let log = Collector<String>()
        bus.use(Tracing(name: "a", log: log))
        bus.use(Tracing(name: "b", log: log))
        let inventory = Inventory(log: log)
        try bus.register(inventory)
        try await bus.publish(OrderPlaced(id: 1))
        let expected = [
            "a.will", "b.will", "a.before observer", "b.before observer", "inventory 1", "b.after observer",
            "a.after observer", "a.did", "b.did",
        ]
        #expect(log.values == expected)
    }

    @Test func headersAddedByMiddlewareReachHandlers() async throws {
        let bus = Bus()
        bus.use(Tracing(name: "x", log: Collector()))
        bus.use(Tracing(name: "y", log: Collector()))
        let observer = HeaderObserver()
        try bus.register(observer)
        try await bus.publish(OrderPlaced(id: 1), headers: ["tenant": "acme"])
        #expect(await observer.headers == [["tenant": "acme", "seen-by": "xy"]])
    }

    @Test func aRejectingMiddlewareStopsThePublish() async throws {
        let bus = Bus()
        let inventory = Inventory()
        try bus.register(inventory)
        let log = Collector<String>()
        bus.use(Tracing(name: "outer", log: log))
        bus.use(Rejecting())
        await #expect(throws: EventRejected.self) { try await bus.publish(OrderPlaced(id: 1)) }
        #expect(await inventory.placed.isEmpty)
        // The outer middleware still hears how the publish ended.
        #expect(log.values == ["outer.will", "outer.did"])
    }

    @Test func aFilterRejectsOnlyWhatItExcludes() async throws {
        let bus = Bus()
        let inventory = Inventory()
        try bus.register(inventory)
        bus.use(FilterMiddleware(reason: "test orders") { envelope in (envelope.event as? OrderPlaced)?.id != 0 })
        await #expect(throws: EventRejected.self) { try await bus.publish(OrderPlaced(id: 0)) }
        try await bus.publish(OrderPlaced(id: 5))
        #expect(await inventory.placed == [5])
    }

    @Test func middlewareCanBeScopedToOneEventType() async throws {
        let bus = Bus()
        let log = Collector<String>()
        bus.use(Tracing(name: "orders", log: log), for: OrderPlaced.self)
        try bus.register(Inventory())
        let inventory = Inventory()
        try bus.register(inventory)
        try await bus.publish(OrderCancelled(id: 1))
        #expect(log.values.isEmpty)
        try await bus.publish(OrderPlaced(id: 1))
        #expect(log.values.contains("orders.will"))
    }

    /// What applies to a type is worked out once and kept: adding or removing a middleware
    /// must change what the very next publish of that type goes through.
    @Test func addingOrRemovingAMiddlewareAppliesFromTheNextPublish() async throws {
        let bus = Bus()
        let log = Collector<String>()
        let inventory = Inventory()
        try bus.register(inventory)
        let scoped = bus.use(Tracing(name: "a", log: log), for: OrderPlaced.self)
        try await bus.publish(OrderPlaced(id: 1))
        let everywhere = bus.use(Tracing(name: "b", log: log))
        try await bus.publish(OrderPlaced(id: 2))
        scoped.cancel()
        try await bus.publish(OrderPlaced(id: 3))
        everywhere.cancel()
        try await bus.publish(OrderPlaced(id: 4))
        #expect(
            log.values == [
                "a.will", "a.before observer", "a.after observer", "a.did",
                "a.will", "b.will", "a.before observer", "b.before observer",
                "b.after observer", "a.after observer", "a.did", "b.did",
                "b.will", "b.before observer", "b.after observer", "b.did",
            ]
        )
        #expect(await inventory.placed == [1, 2, 3, 4])
    }

    @Test func everyBusRunStrategyIsWrapped() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        let recorder = RecordingMiddleware()
        bus.use(recorder)
        let inventory = Inventory()
        try bus.register(inventory)
        try bus.on(OrderPlaced.self) { _ in }
        try await bus.consume(OrderPlaced.self) { _ in }
        try await bus.consume(ResizeImage.self, from: "p2p") { _ in }
        try bus.respond(GetQuote.self) { _ in 1 }
        try await bus.publish(OrderPlaced(id: 1))
        try await bus.send(ResizeImage(number: 1), to: "p2p")
        _ = try await bus.request(GetQuote(symbol: "q"), timeout: .seconds(5))
        await bus.waitUntilIdle()
        let strategies = Set(recorder.invocations.map(\.invocation.strategy))
        #expect(strategies == [.observer, .callback, .mailbox, .pointToPoint, .requestReply])
        #expect(recorder.published.map(\.eventName).contains(OrderPlaced.eventName))
    }

    @Test func aFailingMiddlewareMakesTheInvocationFailAndRetry() async throws {
        let bus = Bus()
        let installation = bus.use(FailingInvocation(), for: OrderPlaced.self)
        let handled = Collector<Int>()
        let consumer = try await bus.consume(OrderPlaced.self, retry: .immediate(maxAttempts: 3)) {
            handled.append($0.id)
        }
        try await bus.publish(OrderPlaced(id: 4))
        await bus.waitUntilIdle()
        #expect(handled.values.isEmpty)
        #expect(try await consumer.deadLetters().map(\.element.event.id) == [4])
        #expect(try await consumer.deadLetters().first?.attempts == 3)
        installation.cancel()
        try await bus.publish(OrderPlaced(id: 5))
        await bus.waitUntilIdle()
        #expect(handled.values == [5])
    }

    @Test func theCorrelationMiddlewareGivesEveryEventAnID() async throws {
        let bus = Bus()
        let recorder = RecordingMiddleware()
        bus.use(CorrelationIDMiddleware())
        bus.use(recorder)
        try bus.on(OrderPlaced.self) { order in try await bus.publish(OrderCancelled(id: order.id)) }
        let report = try await bus.publish(OrderPlaced(id: 1))
        await bus.waitUntilIdle()
        // OrderCancelled has no subscriber, so a DeadEvent follows it: it is correlated too.
        let ids = recorder.published.map(\.metadata.correlationID)
        #expect(
            recorder.published.map(\.eventName) == [
                OrderPlaced.eventName, OrderCancelled.eventName, DeadEvent.eventName,
            ]
        )
        #expect(ids.allSatisfy { $0 == report.eventID.description })
    }

    @Test func anObserverErrorIsSeenByTheMiddleware() async throws {
        let bus = Bus()
        let recorder = RecordingMiddleware()
        bus.use(recorder)
        let observer = NamedObserver("n", log: Collector(), failOn: 2)
        try bus.register(observer)
        let report = try await bus.publish(OrderPlaced(id: 2))
        #expect(report.failures.count == 1)
        #expect(recorder.invocations.first?.error as? Boom == Boom(code: 2))
    }
}

@Suite struct HandlerTimeoutTests {
    @Test func aHungConsumerIsCutOffRetriedAndDeadLettered() async throws {
        let clock = ManualClock()
        let bus = Bus()
        bus.use(HandlerTimeoutMiddleware(.seconds(1), clock: clock))
        let attempts = Collector<Int>()
        let consumer = try await bus.consume(OrderPlaced.self, retry: .immediate(maxAttempts: 2)) { order in
            attempts.append(order.id)
            try await Task.sleep(for: .seconds(3_600))  // hung, but cancellable
        }
        try await bus.publish(OrderPlaced(id: 1))
        for attempt in 1...2 {
            while clock.sleeperCount == 0 || attempts.count < attempt { await Task.yield() }
            clock.advance(by: .seconds(1))
        }
        await bus.waitUntilIdle()
        #expect(attempts.values == [1, 1])
        let letter = try #require(try await consumer.deadLetters().first)
        #expect(letter.reason == HandlerTimedOut(eventName: OrderPlaced.eventName, limit: .seconds(1)).description)
    }

    @Test func aHungObserverIsReportedAndThePublishReturns() async throws {
        actor Stuck: EventHandler {
            static func declareHandlers(_ handlers: inout EventHandlers<Stuck>) {
                handlers.handle(OrderPlaced.self) { _, _ in try await Task.sleep(for: .seconds(3_600)) }
            }
        }
        let clock = ManualClock()
        let bus = Bus()
        bus.use(HandlerTimeoutMiddleware(.milliseconds(500), clock: clock))
        let stuck = Stuck()
        try bus.register(stuck)
        let publish = Task { try await bus.publish(OrderPlaced(id: 1)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .milliseconds(500))
        let report = try await publish.value
        #expect(report.failures.first?.error is HandlerTimedOut)
    }

    @Test func aSlowCallbackFailsWhenItReturns() async throws {
        let clock = ManualClock()
        let bus = Bus()
        bus.use(HandlerTimeoutMiddleware(.seconds(1), clock: clock))
        let failures = Collector<String>()
        try bus.on(HandlerFailure.self) { failures.append(String(describing: $0.error)) }
        try bus.on(OrderPlaced.self) { _ in clock.advance(by: .seconds(2)) }  // "takes" two seconds
        try await bus.publish(OrderPlaced(id: 1))
        await bus.waitUntilIdle()
        #expect(failures.values == [HandlerTimedOut(eventName: OrderPlaced.eventName, limit: .seconds(1)).description])
    }

    @Test func aFastHandlerIsUnaffected() async throws {
        // Manual clocks that never move: neither the limit nor the request's timeout can pass.
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        bus.use(HandlerTimeoutMiddleware(.seconds(60), clock: clock))
        let inventory = Inventory()
        try bus.register(inventory)
        try bus.respond(GetQuote.self) { _ in 7 }
        let report = try await bus.publish(OrderPlaced(id: 1))
        #expect(report.succeeded)
        #expect(try await bus.request(GetQuote(symbol: "x"), timeout: .seconds(5)) == 7)
    }
}
