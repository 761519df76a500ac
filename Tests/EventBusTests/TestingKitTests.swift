import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@Suite struct TestingKitTests {
    @Test func theRecorderSeesEveryEventInPublishOrder() async throws {
        let bus = Bus()
        let recorder = try EventRecorder(bus)
        try await bus.publish(OrderPlaced(id: 1))
        try await bus.publish(OrderCancelled(id: 1))
        try await bus.publish(OrderPlaced(id: 2))
        let placed = try await recorder.wait(for: OrderPlaced.self, count: 2)
        #expect(placed.map(\.id) == [1, 2])
        try await recorder.wait(for: OrderCancelled.self)
        let names = recorder.eventNames.filter { !$0.hasPrefix("eventbus.") }
        #expect(names == [OrderPlaced.eventName, OrderCancelled.eventName, OrderPlaced.eventName])
    }

    @Test func aMissingEventIsAClearTimeout() async throws {
        let bus = Bus()
        let recorder = try EventRecorder(bus)
        try await bus.publish(OrderPlaced(id: 1))
        await #expect(throws: ExpectationTimeout.self) {
            try await recorder.wait(for: OrderCancelled.self, timeout: .milliseconds(50))
        }
    }

    @Test func expectReturnsTheEventCausedByTheBody() async throws {
        let bus = Bus()
        try bus.on(OrderPlaced.self) { order in try await bus.publish(OrderCancelled(id: order.id)) }
        let cancelled = try await bus.expect(OrderCancelled.self) {
            try await bus.publish(OrderPlaced(id: 9))
        }
        #expect(cancelled.id == 9)
    }

    @Test func theManualClockWakesSleepersInDeadlineOrder() async throws {
        let clock = ManualClock()
        let woke = Collector<Int>()
        let start = clock.now
        let sleepers = [3, 1, 2].map { seconds in
            Task {
                try await clock.sleep(until: start + .seconds(seconds))
                woke.append(seconds)
            }
        }
        while clock.sleeperCount < 3 { await Task.yield() }
        clock.advance(by: .seconds(1))
        try await sleepers[1].value
        #expect(woke.values == [1])
        clock.advance(by: .seconds(5))
        for sleeper in sleepers { try await sleeper.value }
        #expect(Set(woke.values) == [1, 2, 3])
    }

    @Test func aCancelledSleeperThrows() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(until: clock.now + .seconds(1)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }
}
