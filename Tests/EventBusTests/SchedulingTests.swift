import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
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
        let id = try await bus.publish(Reminder(text: "later"), after: .seconds(30))
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
        try await bus.publish(Reminder(text: "c"), after: .seconds(3))
        try await bus.publish(Reminder(text: "a"), after: .seconds(1))
        try await bus.publish(Reminder(text: "b"), at: clock.now + .seconds(2))
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(10))
        while seen.count < 3 { await bus.waitUntilIdle() }
        #expect(seen.values == ["a", "b", "c"])
    }

    @Test func aFullSchedulerIsATypedError() async throws {
        let bus = Bus(configuration: BusConfiguration(schedulerCapacity: 2, clock: ManualClock()))
        try await bus.publish(Reminder(text: "1"), after: .seconds(1))
        try await bus.publish(Reminder(text: "2"), after: .seconds(1))
        await #expect(throws: BusError.self) { try await bus.publish(Reminder(text: "3"), after: .seconds(1)) }
    }
}

struct Appointment: Event, Codable {
    let name: String
}

@Suite struct DurableSchedulingTests {
    @Test func aDelayedEventForADurableMailboxSurvivesACrashAndWaitsForItsTime() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "reminders", directory: directory, sync: .always)
        do {
            let clock = ManualClock()
            let bus = Bus(configuration: BusConfiguration(clock: clock))
            let reminders = try await bus.subscribe(Appointment.self, mailbox: mailbox)
            try await bus.publish(Appointment(name: "dentist"), after: .seconds(30))
            #expect(reminders.metrics().delayed == 1)
            // "crash": the bus is dropped with the event still waiting for its time.
        }
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let reminders = try await bus.subscribe(Appointment.self, mailbox: mailbox)
        #expect(reminders.metrics().delayed == 1)
        #expect(reminders.metrics().depth == 0)
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(31))
        var iterator = reminders.makeAsyncIterator()
        #expect(try await iterator.next()?.event.name == "dentist")
        await bus.shutdown(draining: .zero)
    }

    @Test func aDelayedEventReachesDurableAndInMemorySubscribersOnce() async throws {
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let durable = try await bus.subscribe(
            Appointment.self,
            mailbox: .durable(name: "once", directory: scratch, sync: .none)
        )
        let seen = Collector<String>()
        try bus.on(Appointment.self) { seen.append($0.name) }
        try await bus.publish(Appointment(name: "standup"), after: .seconds(5))
        while clock.sleeperCount < 2 { await Task.yield() }
        clock.advance(by: .seconds(5))
        var iterator = durable.makeAsyncIterator()
        #expect(try await iterator.next()?.event.name == "standup")
        while seen.count == 0 { await bus.waitUntilIdle() }
        #expect(seen.values == ["standup"])
        #expect(durable.metrics().enqueued == 1)
        await bus.shutdown(draining: .zero)
    }
}
