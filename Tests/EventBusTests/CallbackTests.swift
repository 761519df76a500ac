import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@Suite struct CallbackTests {
    @Test func callbacksReceiveEventsInPublishOrder() async throws {
        let bus = Bus()
        let seen = Collector<Int>()
        try bus.on(OrderPlaced.self) { seen.append($0.id) }
        for id in 1...500 { try await bus.publish(OrderPlaced(id: id)) }
        await bus.waitUntilIdle()
        #expect(seen.values == Array(1...500))
    }

    @Test func publishReturnsOnceTheCallbackIsEnqueued() async throws {
        let bus = Bus()
        let gate = Gate()
        let seen = Collector<Int>()
        try bus.on(OrderPlaced.self) { order in
            await gate.wait()
            seen.append(order.id)
        }
        let report = try await bus.publish(OrderPlaced(id: 1))
        #expect(report.enqueued == 1)
        #expect(seen.count == 0)
        await gate.open()
        await bus.waitUntilIdle()
        #expect(seen.values == [1])
    }

    @Test func severalListenersForOneEventType() async throws {
        let bus = Bus()
        let seen = Collector<String>()
        try bus.on(OrderPlaced.self) { seen.append("a\($0.id)") }
        try bus.on(OrderPlaced.self) { seen.append("b\($0.id)") }
        let report = try await bus.publish(OrderPlaced(id: 1))
        await bus.waitUntilIdle()
        #expect(report.enqueued == 2)
        #expect(Set(seen.values) == ["a1", "b1"])
    }

    @Test func onceFiresExactlyOnce() async throws {
        let bus = Bus()
        let seen = Collector<Int>()
        try bus.once(OrderPlaced.self) { seen.append($0.id) }
        for id in 1...5 { try await bus.publish(OrderPlaced(id: id)) }
        await bus.waitUntilIdle()
        #expect(seen.values == [1])
        #expect(bus.subscriptionCount() == 0)
    }

    @Test func offStopsDelivery() async throws {
        let bus = Bus()
        let seen = Collector<Int>()
        let subscription = try bus.on(OrderPlaced.self) { seen.append($0.id) }
        try await bus.publish(OrderPlaced(id: 1))
        await bus.waitUntilIdle()
        subscription.cancel()
        let report = try await bus.publish(OrderPlaced(id: 2))
        await bus.waitUntilIdle()
        #expect(seen.values == [1])
        #expect(report.isDead)
    }

    @Test func aCallbackRunsIsolatedToTheActorThatRegisteredIt() async throws {
        actor Counter {
            var total = 0
            func listen(on bus: Bus) throws {
                // No `await` on `self`: the closure is isolated to this actor.
                try bus.on(OrderPlaced.self) { order in self.total += order.total }
            }
        }
        let bus = Bus()
        let counter = Counter()
        try await counter.listen(on: bus)
        for id in 1...10 { try await bus.publish(OrderPlaced(id: id, total: id)) }
        await bus.waitUntilIdle()
        #expect(await counter.total == 55)
    }

    @Test @MainActor func aMainActorCallbackRunsOnTheMainActor() async throws {
        let bus = Bus()
        var seen: [Int] = []
        try bus.on(OrderPlaced.self) { order in
            MainActor.preconditionIsolated()
            seen.append(order.id)
        }
        try await bus.publish(OrderPlaced(id: 1))
        await bus.waitUntilIdle()
        #expect(seen == [1])
    }

    @Test func aThrowingCallbackIsReportedAndLaterEventsStillArrive() async throws {
        let bus = Bus()
        let failures = Collector<String>()
        try bus.on(HandlerFailure.self) { failures.append(String(describing: $0.error)) }
        let seen = Collector<Int>()
        try bus.on(OrderPlaced.self) { order in
            if order.id == 2 { throw Boom(code: 2) }
            seen.append(order.id)
        }
        for id in 1...3 { try await bus.publish(OrderPlaced(id: id)) }
        await bus.waitUntilIdle()
        #expect(seen.values == [1, 3])
        #expect(failures.values == ["boom 2"])
    }

    @Test func aFullCallbackQueueWithFailRejectsThePublish() async throws {
        let bus = Bus(configuration: BusConfiguration(callbackCapacity: .bounded(1, overflow: .fail)))
        let gate = Gate()
        try bus.on(OrderPlaced.self) { _ in await gate.wait() }
        try await bus.publish(OrderPlaced(id: 1))
        while await gate.arrivals == 0 { await Task.yield() }
        try await bus.publish(OrderPlaced(id: 2))
        await #expect {
            try await bus.publish(OrderPlaced(id: 3))
        } throws: { error in
            guard case BusError.rejected(let name, let mailboxes, _) = error else { return false }
            return name == OrderPlaced.eventName && mailboxes.count == 1
        }
        await gate.open()
    }
}

/// A one-shot gate handlers can wait on.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var arrivals = 0

    func wait() async {
        arrivals += 1
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters = []
    }
}
