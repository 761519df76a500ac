import EventBus
import EventBusTesting
import EventLog
import Synchronization
import Testing

/// An observer that writes "observer <id>" into a shared log.
actor LoggingObserver: EventHandler {
    let log: Collector<String>

    init(log: Collector<String>) {
        self.log = log
    }

    static func declareHandlers(_ handlers: inout EventHandlers<LoggingObserver>) {
        handlers.handle(OrderPlaced.self) { observer, order in observer.log.append("observer \(order.id)") }
    }
}

@Suite struct InlineCallbackTests {
    @Test func runsOnThePublisherAfterTheObserversBeforePublishReturns() async throws {
        let bus = Bus()
        let log = Collector<String>()
        // Registered first, called last: after every observer.
        try bus.on(OrderPlaced.self, inline: true) { order in log.append("inline \(order.id)") }
        let observer = LoggingObserver(log: log)
        try bus.register(observer)
        var mailbox = try await bus.subscribe(OrderPlaced.self).makeAsyncIterator()

        let report = try await bus.publish(OrderPlaced(id: 1))

        #expect(log.values == ["observer 1", "inline 1"])
        #expect(report.handledInline == 1 && report.observed == 1 && report.enqueued == 1 && report.succeeded)
        #expect(try #require(await mailbox.next()).event.id == 1)
        #expect(bus.subscriptionCount(strategy: .inlineCallback) == 1)
        withExtendedLifetime(observer) {}
        await bus.shutdown()
    }

    @Test func seesItsEventsMetadataAndAnErrorIsReportedWithoutStoppingTheOthers() async throws {
        let bus = Bus()
        let seen = Collector<EventMetadata>()
        let failures = Collector<HandlerFailure>()
        try bus.on(HandlerFailure.self, inline: true) { failures.append($0) }
        try bus.on(OrderPlaced.self, inline: true) { _ in throw Boom(code: 7) }
        try bus.on(OrderPlaced.self, inline: true) { _ in
            if let metadata = EventContext.current?.metadata { seen.append(metadata) }
        }

        let report = try await bus.publish(OrderPlaced(id: 2), correlationID: "c-2")

        #expect(report.handledInline == 1)
        #expect(report.failures.count == 1)
        #expect(report.failures.first?.strategy == .inlineCallback)
        #expect((report.failures.first?.error as? Boom) == Boom(code: 7))
        #expect(seen.values.map(\.id) == [report.eventID])
        #expect(seen.values.first?.correlationID == "c-2")
        // Published as a HandlerFailure before publish returned (its subscriber is inline too).
        #expect(failures.values.map(\.eventID) == [report.eventID])
        #expect(bus.statistics().handlerFailures == 1)
        await bus.shutdown()
    }

    @Test func anEmitFromInsideIsDeliveredInlineWithTheCorrelationIDOfTheEventBeingHandled() async throws {
        let bus = Bus()
        let shipped = Collector<(Int, String?)>()
        try bus.on(OrderPlaced.self, inline: true) { order in try bus.emit(Shipped(orderID: order.id)) }
        try bus.on(Shipped.self, inline: true) { event in
            shipped.append((event.orderID, EventContext.current?.metadata.correlationID))
        }
        var mailbox = try await bus.subscribe(Shipped.self).makeAsyncIterator()

        let report = try await bus.publish(OrderPlaced(id: 3))

        #expect(shipped.values.map(\.0) == [3])
        #expect(shipped.values.first?.1 == report.eventID.description)
        let delivery = try #require(await mailbox.next())
        #expect(delivery.event.orderID == 3)
        #expect(delivery.metadata.correlationID == report.eventID.description)
        await bus.shutdown()
    }

    @Test func nestedEmitsStopAtTheDepthLimitWithATypedError() async throws {
        let bus = Bus()
        let calls = Atomic<Int>(0)
        let refused = Collector<BusError>()
        try bus.on(OrderPlaced.self, inline: true) { order in
            calls.add(1, ordering: .relaxed)
            do {
                try bus.emit(OrderPlaced(id: order.id + 1))
            } catch let error as BusError {
                refused.append(error)
            }
        }

        try await bus.publish(OrderPlaced(id: 0))

        // The publish's call, then one per emit that was allowed.
        #expect(calls.load(ordering: .relaxed) == 1 + Bus.inlineDepthLimit)
        #expect(refused.count == 1)
        guard case .inlineDepthExceeded(let name, let limit)? = refused.values.first else {
            Issue.record("expected inlineDepthExceeded, got \(refused.values)")
            return
        }
        #expect(name == OrderPlaced.eventName && limit == Bus.inlineDepthLimit)
        await bus.shutdown()
    }

    @Test func emitRefusesAnEventWithObserversBeforeAnybodyReceivesIt() async throws {
        let bus = Bus()
        let log = Collector<String>()
        let observer = LoggingObserver(log: log)
        try bus.register(observer)
        try bus.on(OrderPlaced.self, inline: true) { order in log.append("inline \(order.id)") }
        #expect(throws: BusError.self) { try bus.emit(OrderPlaced(id: 4)) }
        #expect(log.values.isEmpty)
        withExtendedLifetime(observer) {}
        await bus.shutdown()
    }

    @Test func isNeverCalledAfterCancelReturnsEvenByThePublishUnderWay() async throws {
        let bus = Bus()
        let log = Collector<String>()
        let second = Locked<Subscription?>(nil)
        // The first callback cancels the second during the same publish: the publish found both.
        try bus.on(OrderPlaced.self, inline: true) { order in
            log.append("first \(order.id)")
            second.withLock { $0 }?.cancel()
        }
        let subscription = try bus.on(OrderPlaced.self, inline: true) { order in log.append("second \(order.id)") }
        second.withLock { $0 = subscription }

        try await bus.publish(OrderPlaced(id: 5))
        try await bus.publish(OrderPlaced(id: 6))

        #expect(log.values == ["first 5", "first 6"])
        #expect(!subscription.isActive)
        await bus.shutdown()
    }

    @Test func onceRunsForOneEventOnly() async throws {
        let bus = Bus()
        let log = Collector<Int>()
        let subscription = try bus.once(OrderPlaced.self, inline: true) { log.append($0.id) }
        try await bus.publish(contentsOf: [OrderPlaced(id: 1), OrderPlaced(id: 2)])
        try await bus.publish(OrderPlaced(id: 3))
        #expect(log.values == [1])
        #expect(!subscription.isActive)
        await bus.shutdown()
    }

    @Test func middlewareWrapsEachCallAndAProtocolSubscriptionWorksToo() async throws {
        let bus = Bus()
        let log = Collector<String>()
        bus.use(Tracing(name: "t", log: log))
        try bus.on(matching: (any OrderEvent).self, inline: true) { event in log.append("inline \(event.orderID)") }
        try await bus.publish(Shipped(orderID: 8))
        #expect(log.values == ["t.will", "t.before inlineCallback", "inline 8", "t.after inlineCallback", "t.did"])
        await bus.shutdown()
    }

    @Test func inlineFalseRunsTheClosureFromACallbackQueueOfItsOwn() async throws {
        let bus = Bus()
        let log = Collector<Int>()
        try bus.on(OrderPlaced.self, inline: false) { log.append($0.id) }
        let report = try await bus.publish(OrderPlaced(id: 9))
        #expect(report.enqueued == 1 && report.handledInline == 0)
        await bus.waitUntilIdle()
        #expect(log.values == [9])
        await bus.shutdown()
    }
}
