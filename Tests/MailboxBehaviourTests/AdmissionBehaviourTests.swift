import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Synchronization
import Testing

/// Dedup, delayed delivery and lanes, each one test over every kind of mailbox
/// (DeliveryGuarantees.md, "Ordering", "How many times", "Time").
@Suite(.timeLimit(.minutes(2)))
struct AdmissionBehaviourTests {
    /// A second event with an id the mailbox has seen within its dedup window is not delivered.
    @Test(arguments: StoreKind.all)
    func aRepublishedIDWithinTheDedupWindowIsDroppedOnce(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let seen = Seen()
            let consumer = try await bus.consume(
                Order.self,
                mailbox: fixture.mailbox("billing"),
                dedup: DedupWindow(count: 100)
            ) { order in
                seen.record(order)
            }
            let id = EventID.random()
            try await bus.publish(Order(id: 1), id: id)
            try await bus.publish(Order(id: 2), id: id)
            try await bus.publish(Order(id: 3))
            try await fixture.eventually { consumer.metrics().acked == 2 }
            // In publish order: had 2 not been dropped, it would have come before 3.
            #expect(seen.ids == [1, 3])
            await bus.shutdown()
        }
    }

    /// A delayed event waits for its time (the bus's clock, or the group's rows) while events
    /// published after it are delivered, then comes.
    @Test(arguments: StoreKind.all)
    func aDelayedEventIsDeliveredAtItsTimeAndNotBefore(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let seen = Seen()
            let consumer = try await bus.consume(Order.self, mailbox: fixture.mailbox("reminders")) { order in
                seen.record(order)
            }
            try await bus.publish(Order(id: 1), after: .seconds(600))
            try await bus.publish(Order(id: 2))
            try await fixture.eventually { consumer.metrics().acked == 1 }
            #expect(try await fixture.waiting(on: bus, mailbox: "reminders") == 1)
            #expect(seen.ids == [2])
            try await fixture.advance(by: .seconds(600))
            try await fixture.eventually { consumer.metrics().acked == 2 }
            #expect(seen.ids == [2, 1])
            await bus.shutdown()
        }
    }

    /// Lanes: events queued while the consumer is busy are delivered higher lanes first. In
    /// process with the anti-starvation rule of the guide (8 high, then a due normal, then a due
    /// low); a PostgreSQL group strictly by lane per claim (Scale-out, "Priorities").
    @Test(arguments: StoreKind.all)
    func higherLanesGoFirstUnderEachStoresRule(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let seen = Seen()
            let gate = Locked(false)
            let started = Locked(false)
            let consumer = try await bus.consume(Order.self, mailbox: fixture.mailbox("work")) { order in
                if order.id == 0 {
                    started.withLock { $0 = true }
                    while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
                    return
                }
                seen.record(order)
            }
            // The consumer is busy with event 0 while the others queue up behind it.
            try await bus.publish(Order(id: 0))
            try await fixture.eventually { started.withLock { $0 } }
            for number in 1...12 {
                try await bus.publish(Order(id: 300 + number), priority: .low)
                try await bus.publish(Order(id: 200 + number), priority: .normal)
                try await bus.publish(Order(id: 100 + number), priority: .high)
            }
            gate.withLock { $0 = true }
            try await fixture.eventually { consumer.metrics().acked == 37 }
            let lanes = seen.ids.map { $0 / 100 }  // 1 high, 2 normal, 3 low
            if kind == .postgres {
                #expect(
                    lanes == Array(repeating: 1, count: 12) + Array(repeating: 2, count: 12)
                        + Array(repeating: 3, count: 12)
                )
            } else {
                #expect(Array(lanes.prefix(10)) == Array(repeating: 1, count: 8) + [2, 3])
            }
            // Each lane keeps publish order.
            for lane in 1...3 {
                #expect(seen.ids.filter { $0 / 100 == lane } == (1...12).map { lane * 100 + $0 })
            }
            await bus.shutdown()
        }
    }
}
