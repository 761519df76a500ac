#if PostgresSupport
    import EventBus
    import EventLog
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// Consumer groups through `Bus`, as a user declares them, against a real server: several buses
    /// stand for several instances of a server.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct ConsumerGroupTests {
        /// Fast polling, so that a lost wake-up costs the tests little.
        static let options = PostgresStoreOptions(batchSize: 8, pollInterval: .milliseconds(200))

        @Test func groupsWithNoInstanceRunningStoreEveryPublish() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                // The consuming instances declared their groups once and are gone.
                let consumers = Bus()
                try await consumers.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                try await consumers.declareMailbox(.durable(name: "shipping", store: shared), for: OrderPlaced.self)
                await consumers.shutdown()
                // A publisher declares one of them (any), and its publishes reach both.
                let publisher = Bus()
                try await publisher.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                for id in 0..<5 { try await publisher.publish(OrderPlaced(id: id)) }
                await publisher.shutdown()
                let groups = PostgresGroups(client, schema: schema)
                #expect(try await groups.pending(group: "billing") == 5)
                #expect(try await groups.pending(group: "shipping") == 5)
                // An instance of shipping starts later and gets all of them, in order.
                let recorder = Recorder()
                let instance = Bus()
                try await instance.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "shipping", store: shared)
                ) { order in
                    await recorder.record(order.id)
                }
                try await PostgresTestSupport.eventually { await recorder.count == 5 }
                #expect(await recorder.ids == [0, 1, 2, 3, 4])
                await instance.shutdown()
                try await PostgresTestSupport.eventually { try await groups.pending(group: "shipping") == 0 }
            }
        }

        @Test func instancesOfAGroupCompeteAndEachEventIsHandledOnce() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let mailbox = Mailbox.durable(name: "work", store: shared)
                let recorder = Recorder()
                var instances: [Bus] = []
                for _ in 0..<3 {
                    let bus = Bus()
                    try await bus.consume(OrderPlaced.self, mailbox: mailbox) { order in
                        await recorder.record(order.id)
                    }
                    instances.append(bus)
                }
                let publisher = Bus()
                try await publisher.declareMailbox(mailbox, for: OrderPlaced.self)
                try await publisher.publish(contentsOf: (0..<150).map { OrderPlaced(id: $0) })
                for id in 150..<200 { try await publisher.publish(OrderPlaced(id: id)) }
                try await PostgresTestSupport.eventually { await recorder.count >= 200 }
                // Leases of 30 s never expired here: no duplicates.
                #expect(await recorder.ids.sorted() == Array(0..<200))
                for bus in instances { await bus.shutdown() }
                await publisher.shutdown()
                #expect(try await PostgresGroups(client, schema: schema).pending(group: "work") == 0)
            }
        }

        @Test func failuresAreRetriedThenDeadLetteredAndRequeued() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let recorder = Recorder()
                let failing = Locked(true)
                let bus = Bus()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared),
                    retry: .immediate(maxAttempts: 3)
                ) { order in
                    await recorder.called()
                    if failing.withLock({ $0 }) { throw TestFailure.declined(order.id) }
                    await recorder.record(order.id)
                }
                try await bus.publish(OrderPlaced(id: 7))
                let groups = PostgresGroups(client, schema: schema)
                try await PostgresTestSupport.eventually { try await groups.deadLetters(group: "billing").count == 1 }
                let letter = try #require(try await groups.deadLetters(group: "billing").first)
                #expect(letter.attempts == 3)
                #expect(letter.reason.contains("declined 7"))
                #expect(await recorder.calls == 3)
                try await PostgresTestSupport.eventually { consumer.metrics().deadLettered == 1 }
                // Fixed, and requeued through the consumer: handled once more.
                failing.withLock { $0 = false }
                #expect(try await consumer.requeueDeadLetters() == 1)
                try await PostgresTestSupport.eventually { await recorder.count == 1 }
                #expect(try await groups.deadLetters(group: "billing").isEmpty)
                await bus.shutdown()
            }
        }

        @Test func anUnknownEventTypeIsDeadLetteredAndTheConsumerGoesOn() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let bus = Bus()
                let recorder = Recorder()
                try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "mixed", store: shared)) { order in
                    await recorder.record(order.id)
                }
                // Another deployment declared the group for a type this one does not know.
                let other = Bus()
                try await other.declareMailbox(.durable(name: "mixed", store: shared), for: Hostile.self)
                try await other.publish(Hostile(id: 1))
                try await bus.publish(OrderPlaced(id: 2))
                let groups = PostgresGroups(client, schema: schema)
                try await PostgresTestSupport.eventually {
                    let handled = await recorder.count
                    return try await groups.deadLetters(group: "mixed").count == 1 && handled == 1
                }
                let letter = try #require(try await groups.deadLetters(group: "mixed").first)
                #expect(letter.eventName == Hostile.eventName)
                #expect(letter.reason.contains("unknown event type"))
                #expect(letter.attempts == 0)
                #expect(await recorder.ids == [2])
                await other.shutdown()
                await bus.shutdown()
            }
        }

        @Test func aGroupStoresARepublishedEventOnce() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let bus = Bus()
                try await bus.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                let id = EventID.random()
                try await bus.publish(OrderPlaced(id: 1), id: id)
                try await bus.publish(OrderPlaced(id: 1), id: id)
                #expect(try await PostgresGroups(client, schema: schema).pending(group: "billing") == 1)
                await bus.shutdown()
            }
        }

        @Test func eventsWithOneOrderingKeyAreHandledInOrderAcrossInstances() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                // NOTIFY off: the instances find the events by polling.
                var options = Self.options
                options.notifyOnPublish = false
                let shared = DurableStore.postgres(client, schema: schema, options: options)
                let mailbox = Mailbox.durable(name: "ordered", store: shared)
                let seen = Locked<[String: [Int]]>([:])
                var instances: [Bus] = []
                for _ in 0..<3 {
                    let bus = Bus()
                    try await bus.consume(OrderPlaced.self, mailbox: mailbox) { order in
                        let key = EventContext.current?.metadata.orderingKey ?? "none"
                        await Task.yield()
                        seen.withLock { $0[key, default: []].append(order.id) }
                    }
                    instances.append(bus)
                }
                let publisher = Bus()
                try await publisher.declareMailbox(mailbox, for: OrderPlaced.self)
                for id in 0..<100 {
                    try await publisher.publish(OrderPlaced(id: id), orderingKey: "customer-\(id % 5)")
                }
                try await PostgresTestSupport.eventually {
                    seen.withLock { $0.values.map(\.count).reduce(0, +) } >= 100
                }
                let byKey = seen.withLock { $0 }
                #expect(byKey.count == 5)
                for key in 0..<5 {
                    #expect(byKey["customer-\(key)"] == Array(stride(from: key, to: 100, by: 5)))
                }
                for bus in instances { await bus.shutdown() }
                await publisher.shutdown()
            }
        }

        @Test func aDelayedPublishWaitsInTheStore() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let bus = Bus()
                try await bus.declareMailbox(.durable(name: "later", store: shared), for: OrderPlaced.self)
                try await bus.publish(OrderPlaced(id: 1), after: .seconds(3600))
                let groups = PostgresGroups(client, schema: schema)
                #expect(try await groups.pending(group: "later") == 1)
                let store = PostgresGroupStore(client: client, schema: schema, options: Self.options)
                #expect(try await store.claim(group: "later", owner: "o", limit: 10).isEmpty)
                // The bus's scheduler holds the in-process side of the delayed publish: do not wait.
                await bus.shutdown(draining: .zero)
            }
        }

        @Test func removingAGroupStopsItHereAndPostgresGroupsDeletesIt() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let mailbox = Mailbox.durable(name: "gone", store: shared)
                let bus = Bus()
                try await bus.declareMailbox(mailbox, for: OrderPlaced.self)
                try await bus.publish(OrderPlaced(id: 1))
                // The bus cannot delete rows synchronously: it stops the group here and says how.
                #expect(throws: BusError.self) { try bus.removeMailbox(mailbox) }
                let groups = PostgresGroups(client, schema: schema)
                #expect(try await groups.pending(group: "gone") == 1)
                try await groups.remove(group: "gone")
                #expect(try await groups.pending(group: "gone") == 0)
                #expect(try await groups.declared().isEmpty)
                // No longer declared anywhere: a publish stores nothing for it.
                try await PostgresGroupStore(client: client, schema: schema, options: Self.options)
                    .store([
                        GroupRecord(eventName: OrderPlaced.eventName, id: "x", body: [], priority: .normal, delay: nil)
                    ])
                #expect(try await groups.pending(group: "gone") == 0)
                await bus.shutdown()
            }
        }

        @Test func aDatabaseErrorSaysWhatTheServerSaid() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                // A schema whose migrations table is not ours: the first declaration fails in SQL.
                try await client.query("CREATE SCHEMA \(unescaped: schema)")
                try await client.query("CREATE TABLE \(unescaped: schema).migrations (x integer)")
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let bus = Bus()
                do {
                    try await bus.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                    Issue.record("the declaration should have failed")
                } catch let error as BusError {
                    let text = String(describing: error)
                    #expect(text.contains("billing"))
                    #expect(text.contains("does not exist"))
                    #expect(text.contains("SQLSTATE 42703"))
                    #expect(!text.contains("Generic description"))
                }
                await bus.shutdown()
            }
        }

        @Test func consumersPollWhenListenDeliversNothing() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                // LISTEN on a channel nobody notifies: what a pooler in transaction mode amounts to.
                let store = PostgresGroupStore(
                    client: client,
                    schema: schema,
                    options: Self.options,
                    listenChannelOverride: "eventbus_nobody_notifies_this"
                )
                let shared = DurableStore(store)
                let bus = Bus()
                let recorder = Recorder()
                try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "polled", store: shared)) { order in
                    await recorder.record(order.id)
                }
                try await PostgresTestSupport.eventually { store.wakeMode == .polling }
                for id in 0..<3 { try await bus.publish(OrderPlaced(id: id)) }
                try await PostgresTestSupport.eventually { await recorder.count == 3 }
                #expect(store.wakeMode == .polling)
                await bus.shutdown()
            }
        }

        @Test func listenWakesConsumersWhenItWorks() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: Self.options)
                let bus = Bus()
                let recorder = Recorder()
                try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "woken", store: DurableStore(store))) {
                    order in
                    await recorder.record(order.id)
                }
                try await PostgresTestSupport.eventually { store.wakeMode == .listening }
                try await bus.publish(OrderPlaced(id: 1))
                try await PostgresTestSupport.eventually { await recorder.count == 1 }
                await bus.shutdown()
            }
        }
    }

    /// A handler's failure in the tests.
    enum TestFailure: Error, CustomStringConvertible {
        case declined(Int)

        var description: String {
            switch self {
            case .declined(let id): "declined \(id)"
            }
        }
    }
#endif
