#if PostgresSupport
    import EventBus
    import EventLog
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// `subscribe` on a consumer group and durable point-to-point queues between instances (buses
    /// with a client each), against a real server.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct CrossInstanceTests {
        static let options = PostgresStoreOptions(batchSize: 8, lease: .seconds(30), pollInterval: .milliseconds(100))

        /// Runs `body` with `count` instances, each a bus with a client and store of its own.
        static func withInstances(
            _ count: Int,
            schema: String,
            _ body: @Sendable ([(bus: Bus, store: DurableStore)]) async throws -> Void
        ) async throws {
            let clients = try (0..<count).map { _ in
                PostgresClient(configuration: try PostgresTestSupport.configuration())
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients { group.addTask { await client.run() } }
                defer { group.cancelAll() }
                let instances = clients.map { client in
                    let store = DurableStore.postgres(client, schema: schema, options: Self.options)
                    return (bus: Bus(configuration: BusConfiguration(durableStore: store)), store: store)
                }
                try await body(instances)
                for instance in instances { await instance.bus.shutdown() }
            }
        }

        /// A delivery taken with manual acknowledgement by an instance that crashes is delivered
        /// again to another instance once its lease runs out: the crash is not an attempt.
        @Test func aSubscribersUnacknowledgedDeliveryIsRedeliveredAfterItsInstanceCrashes() async throws {
            try await PostgresTestSupport.withClient { client, schema in
                try await Self.withInstances(2, schema: schema) { instances in
                    let (crashing, survivor) = (instances[0], instances[1])
                    let mailbox = Mailbox.durable(name: "billing", store: crashing.store)
                    let first = try await crashing.bus.subscribe(
                        OrderPlaced.self,
                        mailbox: mailbox,
                        acknowledgement: .manual(visibilityTimeout: nil),
                        retry: .immediate(maxAttempts: 3)
                    )
                    try await crashing.bus.publish(OrderPlaced(id: 7))
                    var iterator = first.makeAsyncIterator()
                    let taken = try #require(try await iterator.next())
                    #expect(taken.event.id == 7)
                    crashing.bus.simulateCrash()
                    // The crashed instance no longer renews its lease: it runs out (moved, not waited for).
                    try await client.query(
                        "UPDATE \(unescaped: schema).deliveries SET lease_expires_at = now() - interval '1 second'"
                    )
                    let second = try await survivor.bus.subscribe(
                        OrderPlaced.self,
                        mailbox: .durable(name: "billing", store: survivor.store),
                        acknowledgement: .manual(visibilityTimeout: nil),
                        retry: .immediate(maxAttempts: 3)
                    )
                    var survivors = second.makeAsyncIterator()
                    let again = try #require(try await survivors.next())
                    #expect(again.event.id == 7)
                    #expect(again.metadata.attempt == 1)
                    try await again.ack()
                    #expect(try await PostgresGroups(client, schema: schema).pending(group: "billing") == 0)
                }
            }
        }

        /// A stored queue drained by consumers on three instances: each event handled once, by
        /// whichever instance claimed it, and every instance took part.
        @Test func aStoredQueueIsDrainedByThreeInstancesEachEventOnce() async throws {
            try await PostgresTestSupport.withClient { client, schema in
                try await Self.withInstances(3, schema: schema) { instances in
                    let handled = Locked<[Int: [Int]]>([:])
                    for (index, instance) in instances.enumerated() {
                        try await instance.bus.consume(
                            OrderPlaced.self,
                            from: "jobs",
                            mailbox: .durable(name: "jobs", store: instance.store)
                        ) { order in
                            handled.withLock { $0[index, default: []].append(order.id) }
                            // Long enough that the other instances claim meanwhile.
                            try await Task.sleep(for: .milliseconds(2))
                        }
                    }
                    for id in 0..<300 { try await instances[0].bus.send(OrderPlaced(id: id), to: "jobs") }
                    try await PostgresTestSupport.eventually {
                        handled.withLock { $0.values.map(\.count).reduce(0, +) } >= 300
                    }
                    for instance in instances { await instance.bus.waitUntilIdle() }
                    let all = handled.withLock { $0 }
                    #expect(all.values.flatMap { $0 }.sorted() == Array(0..<300))
                    #expect(all.count == 3)
                    #expect(try await PostgresGroups(client, schema: schema).pending(group: "queue:jobs") == 0)
                }
            }
        }

        /// Ordering keys on a stored queue, as in a group: the events of one key are handled one at
        /// a time, in send order, whichever instance holds the key.
        @Test func aStoredQueueKeepsEachOrderingKeysSendOrderAcrossInstances() async throws {
            try await PostgresTestSupport.withClient { _, schema in
                try await Self.withInstances(2, schema: schema) { instances in
                    let seen = Locked<[String: [Int]]>([:])
                    for instance in instances {
                        try await instance.bus.consume(
                            OrderPlaced.self,
                            from: "jobs",
                            mailbox: .durable(name: "jobs", store: instance.store)
                        ) { order in
                            let key = "customer-\(order.id % 3)"
                            seen.withLock { $0[key, default: []].append(order.id) }
                            try await Task.sleep(for: .milliseconds(1))
                        }
                    }
                    for id in 0..<60 {
                        try await instances[0].bus.send(
                            OrderPlaced(id: id),
                            to: "jobs",
                            orderingKey: "customer-\(id % 3)"
                        )
                    }
                    try await PostgresTestSupport.eventually {
                        seen.withLock { $0.values.map(\.count).reduce(0, +) } >= 60
                    }
                    let all = seen.withLock { $0 }
                    for key in 0..<3 {
                        #expect(all["customer-\(key)"] == Array(stride(from: key, to: 60, by: 3)), "customer-\(key)")
                    }
                }
            }
        }

        /// A stored queue is declared for one event type across instances: another type is refused.
        @Test func aStoredQueueOfAnotherTypeIsRefused() async throws {
            try await PostgresTestSupport.withClient { _, schema in
                try await Self.withInstances(2, schema: schema) { instances in
                    try await instances[0].bus.declareQueue(
                        "jobs",
                        for: OrderPlaced.self,
                        mailbox: .durable(name: "jobs", store: instances[0].store)
                    )
                    await #expect {
                        try await instances[1].bus.declareQueue(
                            "jobs",
                            for: ParcelShipped.self,
                            mailbox: .durable(name: "jobs", store: instances[1].store)
                        )
                    } throws: { error in
                        guard case BusError.queueTypeMismatch(_, let expected, let actual) = error else { return false }
                        return expected == OrderPlaced.eventName && actual == ParcelShipped.eventName
                    }
                }
            }
        }

        /// `send(_:to:in:)` writes the row in the caller's transaction: gone if it rolls back.
        @Test func aSendInsideATransactionCommitsWithIt() async throws {
            try await PostgresTestSupport.withClient { client, schema in
                try await Self.withInstances(1, schema: schema) { instances in
                    let bus = instances[0].bus
                    try await bus.declareQueue(
                        "jobs",
                        for: OrderPlaced.self,
                        mailbox: .durable(name: "jobs", store: instances[0].store)
                    )
                    let groups = PostgresGroups(client, schema: schema)
                    let logger = Logger(label: "test")
                    _ = try await client.withTransaction(logger: logger) { connection in
                        try await bus.send(OrderPlaced(id: 1), to: "jobs", in: connection)
                    }
                    #expect(try await groups.pending(group: "queue:jobs") == 1)
                    struct Rollback: Error {}
                    do {
                        _ = try await client.withTransaction(logger: logger) { connection in
                            try await bus.send(OrderPlaced(id: 2), to: "jobs", in: connection)
                            throw Rollback()
                        }
                    } catch let error as PostgresTransactionError where error.closureError is Rollback {}
                    #expect(try await groups.pending(group: "queue:jobs") == 1)
                }
            }
        }
    }
#endif
