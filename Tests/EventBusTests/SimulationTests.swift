import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Testing

struct SimEvent: Event, Codable {
    let id: Int
}

struct Echo: Event {
    let id: Int
}

/// Publishes an `Echo` for every `SimEvent`: a handler that publishes (re-entrancy).
actor Echoer: EventHandler {
    let bus: Bus

    init(bus: Bus) {
        self.bus = bus
    }

    static func declareHandlers(_ handlers: inout EventHandlers<Echoer>) {
        handlers.handle(SimEvent.self) { echoer, event in try await echoer.bus.publish(Echo(id: event.id)) }
    }
}

/// One seeded scenario: events published across several "process lifetimes" of a bus with a
/// durable, retrying consumer, poison events, a throwing and a hanging callback, an observer
/// that publishes, a republished duplicate, and crashes (the bus dropped without shutdown).
struct Scenario {
    let events: Int
    let poison: Set<Int>
    let crashes: Set<Int>
    let duplicate: Int?
    let hangOn: Int

    init(seed: UInt64) {
        var random = SplitMix64(seed: seed &+ 0x1234_5678)
        events = Int(random.next() % 16) + 4
        let events = self.events
        poison = Set((0..<Int(random.next() % 3)).map { _ in Int(random.next() % UInt64(events)) })
        crashes = Set((0..<Int(random.next() % 3)).map { _ in Int(random.next() % UInt64(events)) })
        duplicate = random.next() % 2 == 0 ? Int(random.next() % UInt64(events)) : nil
        hangOn = Int(random.next() % UInt64(events))
    }
}

@Suite(.timeLimit(.minutes(5)))
struct SimulationTests {
    @Test(arguments: 0..<4)
    func seededScenariosKeepEveryPromise(shard: Int) async throws {
        for seed in stride(from: UInt64(shard), to: 2_000, by: 4) {
            try await run(Scenario(seed: seed), seed: seed)
        }
    }

    private func run(_ scenario: Scenario, seed: UInt64) async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "sim", directory: directory, sync: .none)
        let retry = RetryPolicy.immediate(maxAttempts: 3)
        let handled = Collector<Int>()
        var published: [Int: EventID] = [:]
        var lifetime = 0
        var index = 0
        while index < scenario.events {
            // One "process lifetime" of the bus.
            lifetime += 1
            let bus = Bus()
            let throwingSeen = Collector<Int>()
            let echoes = Collector<Int>()
            let consumer = try await bus.consume(
                SimEvent.self,
                mailbox: mailbox,
                retry: retry,
                dedup: DedupWindow(count: 1_000)
            ) {
                event in
                handled.append(event.id)
                if scenario.poison.contains(event.id) { throw Boom(code: event.id) }
            }
            try bus.on(SimEvent.self) { event in
                throwingSeen.append(event.id)
                if event.id % 2 == 0 { throw Boom(code: event.id) }
            }
            let hang = Gate()
            try bus.on(SimEvent.self) { event in
                if event.id == scenario.hangOn { await hang.wait() }  // hangs until this lifetime ends
            }
            let echoer = Echoer(bus: bus)
            try bus.register(echoer)
            try bus.on(Echo.self) { echoes.append($0.id) }
            var publishedHere: [Int] = []
            while index < scenario.events {
                let report = try await bus.publish(SimEvent(id: index))
                published[index] = report.eventID
                publishedHere.append(index)
                if scenario.duplicate == index {
                    // The same event again, as a redelivering source would send it: deduplicated.
                    let again = try await bus.publish(SimEvent(id: index), id: report.eventID)
                    #expect(again.duplicates == 1, "seed \(seed): duplicate not dropped")
                }
                index += 1
                if scenario.crashes.contains(index - 1) && index < scenario.events { break }
            }
            // Wait for everything but the hanging callback, which is still stuck.
            // (Compared as sets: a republished duplicate reaches the callbacks twice.)
            let expected = Set(publishedHere)
            while !Set(throwingSeen.values).isSuperset(of: expected) || !Set(echoes.values).isSuperset(of: expected)
                || !consumer.metrics().isSettled
            {
                await Task.yield()
            }
            // A throwing or hanging handler never stops the others; a publishing observer never deadlocks.
            #expect(Set(throwingSeen.values) == Set(publishedHere), "seed \(seed): the throwing callback missed events")
            #expect(Set(echoes.values) == Set(publishedHere), "seed \(seed): echoes missing")
            withExtendedLifetime(echoer) {}
            await hang.open()
            // Crash: stop the durable consumer where it is — no drain, no shutdown — which also
            // releases the mailbox's lock at once (dropping the bus would release it only when the
            // last task still holding the bus lets go of it).
            consumer.cancel()
        }
        // A last lifetime drains whatever the crashes left.
        let bus = Bus()
        let consumer = try await bus.consume(SimEvent.self, mailbox: mailbox, retry: retry) { event in
            handled.append(event.id)
            if scenario.poison.contains(event.id) { throw Boom(code: event.id) }
        }
        await bus.waitUntilIdle()
        let handledIDs = Set(handled.values)
        for id in 0..<scenario.events {
            #expect(handledIDs.contains(id), "seed \(seed): event \(id) was accepted but never handled")
        }
        let dead = try await consumer.deadLetters()
        #expect(Set(dead.map(\.element.event.id)) == scenario.poison, "seed \(seed): dead letters")
        for letter in dead { #expect(letter.attempts == 3, "seed \(seed): poison attempts") }
        if scenario.crashes.isEmpty, let duplicate = scenario.duplicate, !scenario.poison.contains(duplicate) {
            #expect(handled.values.filter { $0 == duplicate }.count == 1, "seed \(seed): a duplicate was handled twice")
        }
        await bus.shutdown(draining: .seconds(1))
    }
}

extension QueueMetrics {
    /// Nothing ready, in flight, being handled or waiting for a retry.
    var isSettled: Bool { depth == 0 && inFlight == 0 && handling == 0 && delayed == 0 }
}
