import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Synchronization
import Testing

/// Acknowledgement, visibility timeout, retry, backoff, dead letters and requeue, each one test
/// over every kind of mailbox (DeliveryGuarantees.md, "Failure"; "Behaviour on every store").
@Suite(.timeLimit(.minutes(2)))
struct SettlementBehaviourTests {
    /// `consume` with a retry policy: a handler that throws is retried up to `maxAttempts`, then
    /// the event is dead-lettered with its reason and attempts; requeued, it comes back with a
    /// fresh attempt count and is acknowledged.
    @Test(arguments: StoreKind.all)
    func aFailingEventIsRetriedThenDeadLetteredAndRequeueBringsItBack(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let seen = Seen()
            let healthy = Locked(false)
            let consumer = try await bus.consume(
                Order.self,
                mailbox: fixture.mailbox("billing"),
                retry: .immediate(maxAttempts: 3),
                deadLetter: .keep
            ) { order in
                seen.record(order)
                if !healthy.withLock({ $0 }) { throw Declined(id: order.id) }
            }
            try await bus.publish(Order(id: 1))
            try await fixture.eventually { consumer.metrics().deadLettered == 1 }
            #expect(seen.attempts == [1, 2, 3])
            let letters = try await consumer.deadLetters()
            #expect(letters.map(\.element.event.id) == [1])
            #expect(letters.first?.attempts == 3)
            #expect(letters.first?.reason.contains("declined 1") == true)

            healthy.withLock { $0 = true }
            #expect(try await consumer.requeueDeadLetters() == 1)
            try await fixture.eventually { consumer.metrics().acked == 1 }
            #expect(seen.attempts == [1, 2, 3, 1])
            #expect(try await consumer.deadLetters().isEmpty)
            await bus.shutdown()
        }
    }

    /// A retry with a backoff waits for its time (on the bus's clock, or in the group's rows),
    /// then comes back as the next attempt.
    @Test(arguments: StoreKind.all)
    func aRetryWaitsForItsBackoff(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let seen = Seen()
            let consumer = try await bus.consume(
                Order.self,
                mailbox: fixture.mailbox("billing"),
                retry: .fixed(maxAttempts: 2, delay: .seconds(600))
            ) { order in
                seen.record(order)
                if seen.count == 1 { throw Declined(id: order.id) }
            }
            try await bus.publish(Order(id: 1))
            try await fixture.eventually { try await fixture.waiting(on: bus, mailbox: "billing") == 1 }
            // Backing off: nothing can deliver it before the clock moves.
            #expect(seen.attempts == [1])
            try await fixture.advance(by: .seconds(600))
            try await fixture.eventually { consumer.metrics().acked == 1 }
            #expect(seen.attempts == [1, 2])
            await bus.shutdown()
        }
    }

    /// `subscribe` with manual acknowledgement and a visibility timeout: a delivery nobody settles
    /// counts as a failed attempt when the timeout runs out and is redelivered; a late ack is
    /// refused; after the last attempt the event is dead-lettered. On a PostgreSQL group the
    /// timeout hands the event back to the store, and the next attempt is claimed from there.
    @Test(arguments: StoreKind.all)
    func anUnsettledDeliveryTimesOutIsRetriedAndDeadLettered(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let orders = try await bus.subscribe(
                Order.self,
                mailbox: fixture.mailbox("billing"),
                acknowledgement: .manual(visibilityTimeout: .seconds(30)),
                retry: .immediate(maxAttempts: 2),
                deadLetter: .keep
            )
            try await bus.publish(Order(id: 1))
            var iterator = orders.makeAsyncIterator()
            let first = try #require(try await iterator.next())
            #expect(first.metadata.attempt == 1)
            // Never settled: the timeout makes it a failed attempt, and it comes back.
            try await fixture.advance(by: .seconds(30))
            let second = try #require(try await iterator.next())
            #expect(second.event.id == 1)
            #expect(second.metadata.attempt == 2)
            await #expect {
                try await first.ack()
            } throws: { error in
                guard case BusError.alreadySettled = error else { return false }
                return true
            }
            #expect(orders.metrics().retried == 1)
            // The last attempt times out too: a dead letter.
            try await fixture.advance(by: .seconds(30))
            try await fixture.eventually { orders.metrics().deadLettered == 1 }
            #expect(orders.deadLetters().map(\.element.event.id) == [1])
            #expect(orders.deadLetters().first?.reason.contains("visibility timeout") == true)
            #expect(orders.metrics().inFlight == 0)
            await bus.shutdown()
        }
    }

    /// Manual acknowledgement: an acknowledged delivery is gone; a nacked one comes back as the
    /// next attempt, and acknowledged then, is gone too.
    @Test(arguments: StoreKind.all)
    func anAcknowledgedDeliveryIsGoneAndANackedOneComesBack(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let orders = try await bus.subscribe(
                Order.self,
                mailbox: fixture.mailbox("billing"),
                acknowledgement: .manual(visibilityTimeout: nil),
                retry: .immediate(maxAttempts: 3)
            )
            try await bus.publish(Order(id: 1))
            try await bus.publish(Order(id: 2))
            var iterator = orders.makeAsyncIterator()
            let one = try #require(try await iterator.next())
            try await one.ack()
            let two = try #require(try await iterator.next())
            try await two.nack(Declined(id: 2))
            let again = try #require(try await iterator.next())
            #expect(again.event.id == 2)
            #expect(again.metadata.attempt == 2)
            try await again.ack()
            let metrics = orders.metrics()
            #expect(metrics.acked == 2)
            #expect(metrics.nacked == 1)
            #expect(metrics.inFlight == 0)
            #expect(metrics.depth == 0)
            await bus.shutdown()
        }
    }

    /// Two subscribers of one durable mailbox ask for different visibility timeouts: each
    /// delivery is settled by the settings of the subscriber that took it.
    @Test(arguments: StoreKind.durable)
    func eachSubscriberOfADurableMailboxHasItsOwnVisibilityTimeout(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let mailbox = fixture.mailbox("billing")
            let patient = try await bus.subscribe(
                Order.self,
                mailbox: mailbox,
                acknowledgement: .manual(visibilityTimeout: nil),
                retry: .immediate(maxAttempts: 5)
            )
            let hasty = try await bus.subscribe(
                Order.self,
                mailbox: mailbox,
                acknowledgement: .manual(visibilityTimeout: .seconds(10)),
                retry: .immediate(maxAttempts: 5)
            )
            try await bus.publish(Order(id: 1))
            try await bus.publish(Order(id: 2))
            var patientDeliveries = patient.makeAsyncIterator()
            var hastyDeliveries = hasty.makeAsyncIterator()
            let kept = try #require(try await patientDeliveries.next())
            let dropped = try #require(try await hastyDeliveries.next())
            #expect([kept.event.id, dropped.event.id] == [1, 2])
            try await fixture.advance(by: .seconds(3600))
            // Only the hasty subscriber's delivery expired; the patient one's is still its own.
            let redelivered = try #require(try await hastyDeliveries.next())
            #expect(redelivered.event.id == 2)
            #expect(redelivered.metadata.attempt == 2)
            try await kept.ack()
            try await redelivered.ack()
            await #expect {
                try await dropped.ack()
            } throws: { error in
                guard case BusError.alreadySettled = error else { return false }
                return true
            }
            #expect(patient.metrics().acked == 2)
            #expect(patient.metrics().retried == 1)
            await bus.shutdown()
        }
    }
}
