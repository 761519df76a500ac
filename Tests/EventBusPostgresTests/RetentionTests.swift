#if PostgresSupport
    import EventBus
    import EventLog
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// What a consumer group keeps after it settles an event: the ids it acknowledged (its dedup
    /// window) and its dead letters (the keep limit), against a real server.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct RetentionTests {
        static let options = PostgresStoreOptions(batchSize: 8, pollInterval: .milliseconds(200))

        /// Rows of the group in a table of the schema.
        static func rows(_ client: PostgresClient, _ table: String, group: String) async throws -> Int {
            let rows = try await client.query(
                "SELECT count(*)::bigint FROM \(unescaped: table) WHERE group_name = \(group)"
            )
            var count = 0
            for try await value in rows.decode(Int64.self) { count = Int(value) }
            return count
        }

        @Test func aGroupWithADedupWindowDoesNotStoreAnAcknowledgedIDAgain() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let groups = PostgresGroups(client, schema: schema)
                let recorder = Recorder()
                let bus = Bus()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared),
                    dedup: DedupWindow(duration: .seconds(3600))
                ) { order in
                    await recorder.record(order.id)
                }
                let id = EventID.random()
                try await bus.publish(OrderPlaced(id: 1), id: id)
                try await PostgresTestSupport.eventually { consumer.metrics().acked == 1 }
                // Handled and deleted; the id is remembered: neither this instance nor another
                // (which declared the group without a window of its own) stores it again.
                try await bus.publish(OrderPlaced(id: 1), id: id)
                #expect(try await groups.pending(group: "billing") == 0)
                let publisher = Bus()
                try await publisher.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                try await publisher.publish(OrderPlaced(id: 1), id: id)
                #expect(try await groups.pending(group: "billing") == 0)
                // Once the id is older than the window it is stored, and handled, again (time moved
                // for the remembered id, and for the acknowledged row's minute-long tombstone).
                try await client.query(
                    "UPDATE \(unescaped: "\"\(schema)\".acknowledged") SET acked_at = now() - interval '2 hours'"
                )
                try await client.query(
                    "UPDATE \(unescaped: "\"\(schema)\".deliveries") SET acked_at = now() - interval '2 hours'"
                )
                _ = try await groups.store.pruneAcknowledged(group: "billing")
                try await publisher.publish(OrderPlaced(id: 2), id: id)
                try await PostgresTestSupport.eventually { await recorder.count == 2 }
                #expect(await recorder.ids == [1, 2])
                await publisher.shutdown()
                await bus.shutdown()
            }
        }

        @Test func withoutADedupWindowAnAcknowledgedIDIsStoredAgain() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let recorder = Recorder()
                let bus = Bus()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared)
                ) {
                    order in
                    await recorder.record(order.id)
                }
                let id = EventID.random()
                try await bus.publish(OrderPlaced(id: 1), id: id)
                try await PostgresTestSupport.eventually { consumer.metrics().acked == 1 }
                try await bus.publish(OrderPlaced(id: 2), id: id)
                try await PostgresTestSupport.eventually { await recorder.count == 2 }
                #expect(await recorder.ids == [1, 2])
                #expect(try await Self.rows(client, "\"\(schema)\".acknowledged", group: "billing") == 0)
                await bus.shutdown()
            }
        }

        @Test func aCountWindowRemembersTheNewestIDsOnly() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let groups = PostgresGroups(client, schema: schema)
                let recorder = Recorder()
                let bus = Bus()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared),
                    dedup: DedupWindow(count: 2)
                ) { order in
                    await recorder.record(order.id)
                }
                let ids = (0..<3).map { _ in EventID.random() }
                for (number, id) in ids.enumerated() {
                    try await bus.publish(OrderPlaced(id: number), id: id)
                    // One at a time, so that the acknowledgements are in publish order.
                    try await PostgresTestSupport.eventually { consumer.metrics().acked == UInt64(number + 1) }
                }
                // The acknowledged rows' tombstones last a minute: time moves past it.
                try await client.query(
                    "UPDATE \(unescaped: "\"\(schema)\".deliveries") SET acked_at = now() - interval '2 minutes'"
                )
                _ = try await groups.store.pruneAcknowledged(group: "billing")
                #expect(try await Self.rows(client, "\"\(schema)\".acknowledged", group: "billing") == 2)
                // The newest is still remembered; the oldest is not, and is handled again.
                try await bus.publish(OrderPlaced(id: 20), id: ids[2])
                #expect(try await groups.pending(group: "billing") == 0)
                try await bus.publish(OrderPlaced(id: 10), id: ids[0])
                try await PostgresTestSupport.eventually { await recorder.count == 4 }
                #expect(await recorder.ids == [0, 1, 2, 10])
                await bus.shutdown()
            }
        }

        @Test func theKeepLimitBoundsAGroupsDeadLettersAndTheConsumerListsThem() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let groups = PostgresGroups(client, schema: schema)
                let bus = Bus()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared),
                    deadLetter: .keep(limit: 2)
                ) { order in
                    throw TestFailure.declined(order.id)
                }
                for number in 1...4 {
                    try await bus.publish(OrderPlaced(id: number))
                    // The trim follows the dead letter: wait for both (the count comes first).
                    try await PostgresTestSupport.eventually {
                        let metrics = consumer.metrics()
                        return metrics.deadLettered == UInt64(number)
                            && metrics.deadLettersDiscarded == UInt64(max(0, number - 2))
                    }
                }
                #expect(try await groups.deadLetters(group: "billing").count == 2)
                #expect(consumer.metrics().deadLettersDiscarded == 2)
                let letters = try await consumer.deadLetters()
                #expect(letters.map(\.element.event.id) == [3, 4])
                #expect(letters.allSatisfy { $0.attempts == 1 && $0.reason.contains("declined") })
                #expect(
                    letters.map(\.id.description) == (try await groups.deadLetters(group: "billing").map(\.eventID))
                )
                await bus.shutdown()
            }
        }

        @Test func aConsumersDeadLettersAreOnlyThoseOfItsTypeThatDecode() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let groups = PostgresGroups(client, schema: schema)
                let bus = Bus()
                let consumer = try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "mixed", store: shared))
                {
                    order in
                    throw TestFailure.declined(order.id)
                }
                let other = Bus()
                try await other.declareMailbox(.durable(name: "mixed", store: shared), for: Hostile.self)
                try await other.publish(Hostile(id: 1))
                try await bus.publish(OrderPlaced(id: 2))
                try await PostgresTestSupport.eventually { try await groups.deadLetters(group: "mixed").count == 2 }
                #expect(try await consumer.deadLetters().map(\.element.event.id) == [2])
                await other.shutdown()
                await bus.shutdown()
            }
        }

        @Test func aGroupsMetricsCountItsEventsInTheStore() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: Self.options)
                let publisher = Bus()
                try await publisher.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                try await publisher.publish(OrderPlaced(id: 1))
                try await publisher.publish(OrderPlaced(id: 2))
                try await publisher.publish(OrderPlaced(id: 3), after: .seconds(3600))
                let gate = Locked(false)
                let bus = Bus()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared)
                ) {
                    _ in
                    while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                }
                // Read by the consumer when it starts, before its first claim.
                try await PostgresTestSupport.eventually {
                    let metrics = consumer.metrics()
                    return metrics.depth == 2 && metrics.delayed == 1 && metrics.inFlight == 0
                }
                gate.withLock { $0 = true }
                await publisher.shutdown()
                await bus.shutdown()
            }
        }
    }
#endif
