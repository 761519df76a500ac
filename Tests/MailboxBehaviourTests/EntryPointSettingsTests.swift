import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Synchronization
import Testing

/// Every entry point that takes an `Acknowledgement`, `RetryPolicy`, `DeadLetterPolicy` or
/// `DedupWindow` hands it to the queue that settles its deliveries — also when the durable
/// mailbox or queue was declared earlier, by another call (DeliveryGuarantees.md, "Settings of a
/// shared mailbox", lists which test shows which).
@Suite(.timeLimit(.minutes(2)))
struct EntryPointSettingsTests {
    /// `consume` after `declareMailbox`: the consumer's retry and dead-letter policy settle its
    /// deliveries, not the declaration's defaults (a quiet misuse before: one attempt, kept).
    @Test(arguments: StoreKind.durable)
    func consumeAfterDeclareMailboxUsesItsOwnRetryAndDeadLetterPolicy(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let mailbox = fixture.mailbox("billing")
            try await bus.declareMailbox(mailbox, for: Order.self)
            try await bus.publish(Order(id: 1))
            let seen = Seen()
            let consumer = try await bus.consume(
                Order.self,
                mailbox: mailbox,
                retry: .immediate(maxAttempts: 2),
                deadLetter: .discard
            ) { order in
                seen.record(order)
                throw Declined(id: order.id)
            }
            try await fixture.eventually { consumer.metrics().deadLettered == 1 }
            #expect(seen.attempts == [1, 2])
            #expect(consumer.metrics().deadLettersDiscarded == 1)
            #expect(try await consumer.deadLetters().isEmpty)
            await bus.shutdown()
        }
    }

    /// `subscribe` on a durable mailbox declared earlier: the subscriber's retry and dead-letter
    /// policy settle its deliveries.
    @Test(arguments: StoreKind.durable)
    func subscribeAfterDeclareMailboxUsesItsOwnSettings(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let mailbox = fixture.mailbox("billing")
            try await bus.declareMailbox(mailbox, for: Order.self)
            let orders = try await bus.subscribe(
                Order.self,
                mailbox: mailbox,
                acknowledgement: .manual(visibilityTimeout: nil),
                retry: .immediate(maxAttempts: 2),
                deadLetter: .keep(limit: 0)
            )
            try await bus.publish(Order(id: 1))
            var iterator = orders.makeAsyncIterator()
            try await #require(try await iterator.next()).nack(Declined(id: 1))
            let second = try #require(try await iterator.next())
            #expect(second.metadata.attempt == 2)
            try await second.nack(Declined(id: 1))
            #expect(orders.metrics().deadLettered == 1)
            #expect(orders.metrics().deadLettersDiscarded == 1)
            #expect(orders.deadLetters().isEmpty)
            await bus.shutdown()
        }
    }

    /// The dedup window is the mailbox's: given where it is first declared, it holds for every
    /// subscriber; a later attachment that asks for another one is refused with a typed error.
    @Test(arguments: StoreKind.durable)
    func theDedupWindowIsTheMailboxesAndAConflictingOneIsRefused(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let mailbox = fixture.mailbox("billing")
            try await bus.declareMailbox(mailbox, for: Order.self, dedup: DedupWindow(count: 100))
            if kind == .localLog {
                await #expect {
                    try await bus.subscribe(Order.self, mailbox: mailbox, dedup: DedupWindow(count: 5))
                } throws: { error in
                    guard case BusError.conflictingDeclaration(let name, let setting, _, _) = error else {
                        return false
                    }
                    return name == "billing" && setting == "dedup window"
                }
            }
            let seen = Seen()
            let consumer = try await bus.consume(Order.self, mailbox: mailbox) { order in seen.record(order) }
            let id = EventID.random()
            try await bus.publish(Order(id: 1), id: id)
            try await fixture.eventually { consumer.metrics().acked == 1 }
            try await bus.publish(Order(id: 2), id: id)
            try await bus.publish(Order(id: 3))
            try await fixture.eventually { consumer.metrics().acked == 2 }
            #expect(seen.ids == [1, 3])
            await bus.shutdown()
        }
    }

    /// `receive` (point-to-point): the consumer's acknowledgement, visibility timeout, retry and
    /// dead-letter policy reach its queue — its own in memory, the shared stored queue when
    /// durable — on PostgreSQL, the stored queue every instance competes for.
    @Test(arguments: StoreKind.all)
    func receiveSettlesByItsOwnSettings(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let jobs = try await bus.receive(
                Order.self,
                from: "jobs",
                mailbox: fixture.mailbox("jobs"),
                acknowledgement: .manual(visibilityTimeout: .seconds(30)),
                retry: .immediate(maxAttempts: 2),
                deadLetter: .keep
            )
            try await bus.send(Order(id: 1), to: "jobs")
            var iterator = jobs.makeAsyncIterator()
            try await #require(try await iterator.next()).nack(Declined(id: 1))
            let second = try #require(try await iterator.next())
            #expect(second.metadata.attempt == 2)
            // Not settled: its visibility timeout runs out, and that was the last attempt.
            try await fixture.advance(by: .seconds(30))
            try await fixture.eventually { jobs.metrics().deadLettered == 1 }
            #expect(jobs.deadLetters().map(\.element.event.id) == [1])
            await bus.shutdown()
        }
    }

    /// `consume(_:from:)` (point-to-point with a handler): its retry and dead-letter policy reach
    /// its queue.
    @Test(arguments: StoreKind.all)
    func consumeFromAQueueRetriesAndDeadLettersByItsOwnPolicy(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let seen = Seen()
            let consumer = try await bus.consume(
                Order.self,
                from: "jobs",
                mailbox: fixture.mailbox("jobs"),
                retry: .immediate(maxAttempts: 3),
                deadLetter: .discard
            ) { order in
                seen.record(order)
                throw Declined(id: order.id)
            }
            try await bus.send(Order(id: 1), to: "jobs")
            try await fixture.eventually { consumer.metrics().deadLettered == 1 }
            #expect(seen.attempts == [1, 2, 3])
            #expect(consumer.metrics().deadLettersDiscarded == 1)
            await bus.shutdown()
        }
    }
}
