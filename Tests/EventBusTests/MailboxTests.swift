import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@Suite struct MailboxTests {
    @Test func aMailboxDeliversInPublishOrder() async throws {
        let bus = Bus()
        let orders = try await bus.subscribe(OrderPlaced.self)
        for id in 1...100 { try await bus.publish(OrderPlaced(id: id)) }
        var received: [Int] = []
        for try await delivery in orders {
            received.append(delivery.event.id)
            if received.count == 100 { break }
        }
        #expect(received == Array(1...100))
    }

    @Test func everyPublishersOrderIsKeptAtEverySubscriber() async throws {
        let bus = Bus()
        let publishers = 4
        let perPublisher = 10_000
        var subscribers: [Deliveries<OrderPlaced>] = []
        for _ in 0..<3 {
            subscribers.append(
                try await bus.subscribe(
                    OrderPlaced.self,
                    mailbox: .memory(.bounded(1_000, overflow: .suspendPublisher))
                )
            )
        }
        let consumers = subscribers.map { mailbox in
            Task { () -> Bool in
                var last = [Int](repeating: -1, count: publishers)
                var count = 0
                for try await delivery in mailbox {
                    let publisher = delivery.event.id / perPublisher
                    let sequence = delivery.event.id % perPublisher
                    if sequence <= last[publisher] { return false }
                    last[publisher] = sequence
                    count += 1
                    if count == publishers * perPublisher { break }
                }
                return count == publishers * perPublisher
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for publisher in 0..<publishers {
                group.addTask {
                    for sequence in 0..<perPublisher {
                        try await bus.publish(OrderPlaced(id: publisher * perPublisher + sequence))
                    }
                }
            }
            try await group.waitForAll()
        }
        for consumer in consumers { #expect(try await consumer.value) }
    }

    @Test func dropNewestIsReportedToThePublisher() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.bounded(2, overflow: .dropNewest)))
        var reports: [PublishReport] = []
        for id in 1...4 { reports.append(try await bus.publish(OrderPlaced(id: id))) }
        #expect(reports.map(\.dropped) == [0, 0, 1, 1])
        #expect(mailbox.metrics().dropped == 2)
        var iterator = mailbox.makeAsyncIterator()
        #expect(try await iterator.next()?.event.id == 1)
        #expect(try await iterator.next()?.event.id == 2)
    }

    @Test func dropOldestKeepsTheNewest() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.bounded(2, overflow: .dropOldest)))
        for id in 1...5 { try await bus.publish(OrderPlaced(id: id)) }
        var iterator = mailbox.makeAsyncIterator()
        #expect(try await iterator.next()?.event.id == 4)
        #expect(try await iterator.next()?.event.id == 5)
    }

    @Test func aFullMailboxWithFailRejectsButOthersStillReceive() async throws {
        let bus = Bus()
        let strict = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.bounded(1, overflow: .fail)))
        let roomy = try await bus.subscribe(OrderPlaced.self)
        try await bus.publish(OrderPlaced(id: 1))
        await #expect {
            try await bus.publish(OrderPlaced(id: 2))
        } throws: { error in
            guard case BusError.rejected(_, _, let report) = error else { return false }
            return report.enqueued == 1
        }
        #expect(strict.metrics().depth == 1)
        #expect(roomy.metrics().depth == 2)
    }

    @Test func suspendPublisherMakesThePublisherWait() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .memory(.bounded(2, overflow: .suspendPublisher))
        )
        let published = Collector<Int>()
        let publisher = Task {
            for id in 1...5 {
                try await bus.publish(OrderPlaced(id: id))
                published.append(id)
            }
        }
        while mailbox.metrics().waitingProducers == 0 { await Task.yield() }
        #expect(published.values == [1, 2])
        var received: [Int] = []
        for try await delivery in mailbox {
            received.append(delivery.event.id)
            if received.count == 5 { break }
        }
        try await publisher.value
        #expect(received == [1, 2, 3, 4, 5])
    }

    /// Publish enqueues without suspending until a queue is full with `.suspendPublisher`, then
    /// waits there and goes on from that subscription: nobody gets the event twice or not at all.
    @Test func aFanOutThatMustWaitMidwayDeliversToEverySubscriptionOnce() async throws {
        let bus = Bus()
        let first = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.unbounded))
        let strict = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .memory(.bounded(1, overflow: .suspendPublisher))
        )
        let last = try await bus.subscribe(OrderPlaced.self, mailbox: .memory(.unbounded))
        let everything = try await bus.subscribe(matching: (any Event).self, mailbox: .memory(.unbounded))
        let called = Collector<Int>()
        try bus.on(OrderPlaced.self) { called.append($0.id) }
        try await bus.publish(OrderPlaced(id: 1))
        let publisher = Task { try await bus.publish(OrderPlaced(id: 2)) }
        while strict.metrics().waitingProducers == 0 { await Task.yield() }
        #expect(first.metrics().depth == 2)
        #expect(last.metrics().depth == 1)
        var strictIterator = strict.makeAsyncIterator()
        let one = try #require(try await strictIterator.next())
        let report = try await publisher.value
        #expect(report.enqueued == 5)
        let two = try #require(try await strictIterator.next())
        #expect([one.event.id, two.event.id] == [1, 2])
        for mailbox in [first, last] {
            var iterator = mailbox.makeAsyncIterator()
            let a = try #require(try await iterator.next())
            let b = try #require(try await iterator.next())
            #expect([a.event.id, b.event.id] == [1, 2])
            #expect([a.metadata.id, b.metadata.id] == [one.metadata.id, two.metadata.id])
            #expect(mailbox.metrics().depth == 0)
        }
        var patternIterator = everything.makeAsyncIterator()
        let a = try #require(try await patternIterator.next())
        let b = try #require(try await patternIterator.next())
        #expect([(a.event as? OrderPlaced)?.id, (b.event as? OrderPlaced)?.id] == [1, 2])
        await bus.waitUntilIdle()
        #expect(called.values == [1, 2])
    }

    @Test func manualAckWithRetryRedeliversANackedEvent() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(
            OrderPlaced.self,
            acknowledgement: .manual(visibilityTimeout: nil),
            retry: .immediate(maxAttempts: 3)
        )
        try await bus.publish(OrderPlaced(id: 1))
        var iterator = mailbox.makeAsyncIterator()
        let first = try #require(try await iterator.next())
        #expect(first.metadata.attempt == 1)
        try await first.nack(Boom(code: 1))
        let second = try #require(try await iterator.next())
        #expect(second.event.id == 1)
        #expect(second.metadata.attempt == 2)
        try await second.ack()
        #expect(mailbox.metrics().acked == 1)
    }

    @Test func aPoisonEventEndsInTheDeadLettersAndCanBeRequeued() async throws {
        let bus = Bus()
        let attempts = Collector<Int>()
        let mailbox = try await bus.consume(OrderPlaced.self, retry: .immediate(maxAttempts: 3)) { order in
            attempts.append(order.id)
            if order.id == 13 { throw Boom(code: 13) }
        }
        try await bus.publish(OrderPlaced(id: 12))
        try await bus.publish(OrderPlaced(id: 13))
        try await bus.publish(OrderPlaced(id: 14))
        await bus.waitUntilIdle()
        #expect(attempts.values.filter { $0 == 13 }.count == 3)
        #expect(attempts.values.filter { $0 != 13 } == [12, 14])
        let letters = try await mailbox.deadLetters()
        #expect(letters.map(\.element.event.id) == [13])
        #expect(letters.first?.reason == "boom 13")
        #expect(bus.statistics().handlerFailures == 3)
        #expect(try await mailbox.requeueDeadLetters() == 1)
        await bus.waitUntilIdle()
        #expect(attempts.values.filter { $0 == 13 }.count == 6)
    }

    @Test func dedupDropsARepublishedEventID() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(OrderPlaced.self, dedup: DedupWindow(count: 100))
        let report = try await bus.publish(OrderPlaced(id: 1))
        #expect(report.enqueued == 1)
        // The same event re-published with its id (as a redelivering source would do).
        let again = try await bus.publish(OrderPlaced(id: 1), id: report.eventID)
        #expect(again.duplicates == 1)
        #expect(again.enqueued == 0)
        #expect(mailbox.metrics().deduplicated == 1)
    }

    @Test func endingTheIteratingTaskRemovesTheSubscription() async throws {
        let bus = Bus()
        let consumer = Task {
            let mailbox = try await bus.subscribe(OrderPlaced.self)
            for try await _ in mailbox {}
        }
        while bus.subscriptionCount() == 0 { await Task.yield() }
        consumer.cancel()
        try await consumer.value
        #expect(bus.subscriptionCount() == 0)
    }

    @Test func releasingTheSequenceRemovesTheSubscription() async throws {
        let bus = Bus()
        do {
            let mailbox = try await bus.subscribe(OrderPlaced.self)
            #expect(mailbox.subscription.isActive)
            #expect(bus.subscriptionCount() == 1)
        }
        #expect(bus.subscriptionCount() == 0)
    }

    @Test func cancellingEndsIterationAfterWhatIsQueued() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(OrderPlaced.self)
        try await bus.publish(OrderPlaced(id: 1))
        mailbox.cancel()
        var received: [Int] = []
        for try await delivery in mailbox { received.append(delivery.event.id) }
        #expect(received == [1])
        #expect(try await bus.publish(OrderPlaced(id: 2)).isDead)
    }

    @Test func anUnacknowledgedDeliveryComesBackAfterTheVisibilityTimeout() async throws {
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let mailbox = try await bus.subscribe(
            OrderPlaced.self,
            acknowledgement: .manual(visibilityTimeout: .seconds(30)),
            retry: .immediate(maxAttempts: 2)
        )
        try await bus.publish(OrderPlaced(id: 1))
        var iterator = mailbox.makeAsyncIterator()
        let first = try #require(try await iterator.next())
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(30))
        let second = try #require(try await iterator.next())
        #expect(second.event.id == 1)
        #expect(second.metadata.attempt == 2)
        await #expect {
            try await first.ack()
        } throws: { error in
            guard case BusError.alreadySettled = error else { return false }
            return true
        }
        try await second.ack()
    }

    @Test func priorityAlertsOvertakeBulkEvents() async throws {
        let bus = Bus()
        let mailbox = try await bus.subscribe(OrderPlaced.self)
        for id in 1...5 { try await bus.publish(OrderPlaced(id: id), priority: .low) }
        try await bus.publish(OrderPlaced(id: 99), priority: .high)
        var iterator = mailbox.makeAsyncIterator()
        #expect(try await iterator.next()?.event.id == 99)
        #expect(try await iterator.next()?.event.id == 1)
    }
}
