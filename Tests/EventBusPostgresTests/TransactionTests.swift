#if PostgresSupport
    import EventBus
    import EventLog
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// Publishing inside the caller's transaction (the outbox), and handlers whose writes commit
    /// with their acknowledgement, against a real server.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct TransactionTests {
        static let options = PostgresStoreOptions(batchSize: 8, pollInterval: .milliseconds(200))
        static let logger = Logger(label: "TransactionTests")

        /// Makes the user's table `orders (id)` or `invoices (id)` in the test's schema (made first).
        static func makeTable(_ client: PostgresClient, _ schema: String, _ table: String) async throws {
            try await PostgresGroups(client, schema: schema).migrate()
            try await client.query(
                "CREATE TABLE \(unescaped: "\"\(schema)\".\(table)") (id integer NOT NULL)"
            )
        }

        /// The ids in the user's table.
        static func ids(_ client: PostgresClient, _ schema: String, _ table: String) async throws -> [Int] {
            let rows = try await client.query("SELECT id FROM \(unescaped: "\"\(schema)\".\(table)") ORDER BY id")
            var ids: [Int] = []
            for try await id in rows.decode(Int32.self) { ids.append(Int(id)) }
            return ids
        }

        @Test func aPublishInsideATransactionIsStoredWhenItCommitsAndNotWhenItRollsBack() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let groups = PostgresGroups(client, schema: schema)
                let bus = Bus()
                try await bus.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                try await Self.makeTable(client, schema, "orders")
                let table = "\"\(schema)\".orders"
                try await client.withTransaction(logger: Self.logger) { connection in
                    try await connection.query("INSERT INTO \(unescaped: table) (id) VALUES (1)", logger: Self.logger)
                    try await bus.publish(OrderPlaced(id: 1), in: connection, store: shared)
                }
                #expect(try await groups.pending(group: "billing") == 1)
                await #expect {
                    // postgres-nio wraps the closure's error.
                    try await client.withTransaction(logger: Self.logger) { connection in
                        try await connection.query(
                            "INSERT INTO \(unescaped: table) (id) VALUES (2)",
                            logger: Self.logger
                        )
                        try await bus.publish(OrderPlaced(id: 2), in: connection, store: shared)
                        throw TestFailure.declined(2)
                    }
                } throws: { error in
                    (error as? PostgresTransactionError)?.closureError is TestFailure
                }
                #expect(try await groups.pending(group: "billing") == 1)
                #expect(try await Self.ids(client, schema, "orders") == [1])
                // The committed one reaches a consumer, on another instance.
                let recorder = Recorder()
                let consumer = Bus()
                try await consumer.consume(OrderPlaced.self, mailbox: .durable(name: "billing", store: shared)) {
                    order in
                    await recorder.record(order.id)
                }
                try await PostgresTestSupport.eventually { await recorder.count == 1 }
                #expect(await recorder.ids == [1])
                await consumer.shutdown()
                await bus.shutdown()
            }
        }

        @Test func aHandlersWritesCommitWithItsAcknowledgementOrNotAtAll() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let groups = PostgresGroups(client, schema: schema)
                try await Self.makeTable(client, schema, "invoices")
                let table = "\"\(schema)\".invoices"
                let attempts = Locked(0)
                let bus = Bus()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared),
                    retry: .immediate(maxAttempts: 2)
                ) { order, connection in
                    try await connection.query(
                        "INSERT INTO \(unescaped: table) (id) VALUES (\(order.id))",
                        logger: Self.logger
                    )
                    // The first attempt fails after its write: the write is rolled back with it.
                    let attempt = attempts.withLock { count in
                        count += 1
                        return count
                    }
                    if attempt == 1 { throw TestFailure.declined(order.id) }
                }
                try await bus.publish(OrderPlaced(id: 5))
                try await PostgresTestSupport.eventually { consumer.metrics().acked == 1 }
                #expect(try await Self.ids(client, schema, "invoices") == [5])
                #expect(try await groups.pending(group: "billing") == 0)
                #expect(consumer.metrics().nacked == 1)
                #expect(attempts.withLock { $0 } == 2)
                await bus.shutdown()
            }
        }

        @Test func aHandlerThatLostItsLeaseRollsBackAndSettlesNothing() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                try await Self.makeTable(client, schema, "invoices")
                let table = "\"\(schema)\".invoices"
                let deliveries = "\"\(schema)\".deliveries"
                let handled = Locked(0)
                let bus = Bus()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared)
                ) { order, connection in
                    try await connection.query(
                        "INSERT INTO \(unescaped: table) (id) VALUES (\(order.id))",
                        logger: Self.logger
                    )
                    // Meanwhile the lease ran out and another instance claimed the event.
                    try await client.query(
                        "UPDATE \(unescaped: deliveries) SET lease_owner = 'another instance', lease_expires_at = now() + interval '1 hour'"
                    )
                    handled.withLock { $0 += 1 }
                }
                try await bus.publish(OrderPlaced(id: 9))
                try await PostgresTestSupport.eventually { handled.withLock { $0 } == 1 }
                await bus.shutdown()
                #expect(try await Self.ids(client, schema, "invoices").isEmpty)
                #expect(consumer.metrics().acked == 0)
                #expect(consumer.metrics().nacked == 0)
                #expect(try await PostgresGroups(client, schema: schema).pending(group: "billing") == 1)
            }
        }

        @Test func onlyAPostgresStoreTakesPartInATransaction() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eb-\(schema)")
                defer { try? FileManager.default.removeItem(at: directory) }
                let local = DurableStore.directory(directory.path)
                let bus = Bus()
                await #expect(throws: PostgresStoreError.notPostgres("store \(local)")) {
                    try await client.withConnection { connection in
                        try await bus.publish(OrderPlaced(id: 1), in: connection, store: local)
                    }
                }
                await #expect(throws: PostgresStoreError.notPostgres("mailbox billing")) {
                    try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "billing", store: local)) { _, _ in
                    }
                }
                await #expect(throws: PostgresStoreError.notPostgres("a mailbox in memory")) {
                    try await bus.consume(OrderPlaced.self, mailbox: .default) { _, _ in }
                }
                await bus.shutdown()
            }
        }
    }
#endif
