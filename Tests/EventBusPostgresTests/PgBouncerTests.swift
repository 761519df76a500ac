#if PostgresSupport
    import EventBus
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// The store through a real PgBouncer in transaction pool mode (`EVENTBUS_PGBOUNCER_URL`), the
    /// pooler that keeps no session: its statements still run, LISTEN hears nothing, and the store
    /// falls back to polling by itself (no test hook).
    @Suite(
        .enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason),
        .enabled(if: PostgresTestSupport.pgbouncerURL != nil, PostgresTestSupport.pgbouncerSkipReason),
        .timeLimit(.minutes(2))
    )
    struct PgBouncerTests {
        @Test func throughPgBouncerInTransactionModeConsumersFallBackToPollingAndGetEveryEvent() async throws {
            // The direct client makes the schema name and drops it; every statement of the store
            // (migrations, declarations, publishes, claims, LISTEN) goes through PgBouncer.
            try await PostgresTestSupport.withClient { (_, schema) async throws in
                let pooled = PostgresClient(
                    configuration: try PostgresTestSupport.configuration(url: PostgresTestSupport.pgbouncerURL)
                )
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { await pooled.run() }
                    defer { tasks.cancelAll() }
                    let store = PostgresGroupStore(client: pooled, schema: schema, options: ConsumerGroupTests.options)
                    let bus = Bus()
                    let recorder = Recorder()
                    try await bus.consume(
                        OrderPlaced.self,
                        mailbox: .durable(name: "pooled", store: DurableStore(store))
                    ) {
                        order in
                        await recorder.record(order.id)
                    }
                    // The self-test's NOTIFY never reaches the LISTEN connection: it holds no server
                    // connection between transactions.
                    try await PostgresTestSupport.eventually { store.wakeMode == .polling }
                    for id in 0..<5 { try await bus.publish(OrderPlaced(id: id)) }
                    try await bus.publish(contentsOf: (5..<10).map { OrderPlaced(id: $0) })
                    try await PostgresTestSupport.eventually { await recorder.count == 10 }
                    #expect(await recorder.ids.sorted() == Array(0..<10))
                    #expect(store.wakeMode == .polling)
                    await bus.shutdown()
                    #expect(try await PostgresGroups(pooled, schema: schema).pending(group: "pooled") == 0)
                }
            }
        }
    }
#endif
