import EventBus
import EventBusTesting
import Testing

struct Reminder: Event {
    let text: String
}

@Suite struct SchedulingTests {
    @Test func aDelayedEventIsNotPublishedBeforeItsTime() async throws {
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let seen = Collector<String>()
        try bus.on(Reminder.self) { seen.append($0.text) }
        let id = try bus.publish(Reminder(text: "later"), after: .seconds(30))
        try await bus.publish(Reminder(text: "now"))
        await bus.waitUntilIdle()
        #expect(seen.values == ["now"])
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(29))
        await bus.waitUntilIdle()
        #expect(seen.values == ["now"])
        let recorder = try EventRecorder(bus)
        clock.advance(by: .seconds(1))
        try await recorder.wait(for: Reminder.self)
        await bus.waitUntilIdle()
        #expect(seen.values == ["now", "later"])
        #expect(recorder.records.first?.metadata.id == id)
    }

    @Test func delayedEventsArePublishedInDueOrder() async throws {
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let seen = Collector<String>()
        try bus.on(Reminder.self) { seen.append($0.text) }
        try bus.publish(Reminder(text: "c"), after: .seconds(3))
        try bus.publish(Reminder(text: "a"), after: .seconds(1))
        try bus.publish(Reminder(text: "b"), at: clock.now + .seconds(2))
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(10))
        while seen.count < 3 { await bus.waitUntilIdle() }
        #expect(seen.values == ["a", "b", "c"])
    }

    @Test func aFullSchedulerIsATypedError() async throws {
        let bus = Bus(configuration: BusConfiguration(schedulerCapacity: 2, clock: ManualClock()))
        try bus.publish(Reminder(text: "1"), after: .seconds(1))
        try bus.publish(Reminder(text: "2"), after: .seconds(1))
        #expect(throws: BusError.self) { try bus.publish(Reminder(text: "3"), after: .seconds(1)) }
    }
}
