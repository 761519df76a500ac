#if PostgresSupport
    import EventBus
    import EventLog
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// Acknowledgements and retries written in batches: one statement for many, fenced row by row;
    /// what a crash before the write redelivers; publishes of a batch in one statement.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct BatchedSettlementTests {
        private func record(_ id: String, key: String? = nil) -> GroupRecord {
            GroupRecord(
                eventName: "OrderPlaced",
                id: id,
                body: Array(id.utf8),
                priority: .normal,
                delay: nil,
                orderingKey: key
            )
        }

        @Test func aBatchOfSettlementsIsRefusedForExactlyItsStaleRows() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "g", eventName: "OrderPlaced")
                try await store.store(["a", "b", "c", "d"].map { record($0) })
                #expect(try await store.claim(group: "g", owner: "paused", limit: 10).count == 4)
                // "paused" stops past its lease on b and d (made to expire here), and another
                // claimant takes them.
                try await client.query(
                    """
                    UPDATE \(unescaped: schema).deliveries SET lease_expires_at = now() - interval '1 second'
                    WHERE event_id IN ('b', 'd')
                    """
                )
                #expect(try await store.claim(group: "g", owner: "next", limit: 10).map(\.id) == ["b", "d"])
                let settled = try await store.settle(
                    group: "g",
                    owner: "paused",
                    [
                        GroupSettlement(id: "a", kind: .acknowledge),
                        GroupSettlement(id: "b", kind: .acknowledge),
                        GroupSettlement(id: "c", kind: .retry(after: .seconds(3600), reason: "later")),
                        GroupSettlement(id: "d", kind: .retry(after: .zero, reason: "now")),
                    ]
                )
                #expect(settled == ["a", "c"])
                var rows: [String: (String?, Int32, String?)] = [:]
                for try await (id, owner, attempts, error) in try await client.query(
                    "SELECT event_id, lease_owner, attempts, last_error FROM \(unescaped: schema).deliveries"
                ).decode((String, String?, Int32, String?).self) {
                    rows[id] = (owner, attempts, error)
                }
                // a is gone; c backs off with its attempt counted; b and d stay the next claimant's.
                #expect(rows.keys.sorted() == ["b", "c", "d"])
                #expect(rows["c"]?.0 == nil && rows["c"]?.1 == 1 && rows["c"]?.2 == "later")
                #expect(rows["b"]?.0 == "next" && rows["b"]?.1 == 0)
                #expect(rows["d"]?.0 == "next" && rows["d"]?.1 == 0)
                // Written again (an unanswered write retried): nothing more changes.
                #expect(
                    try await store.settle(group: "g", owner: "paused", [GroupSettlement(id: "c", kind: .acknowledge)])
                        .isEmpty
                )
            }
        }

        @Test func aBatchedAcknowledgementInADedupWindowLeavesATombstoneAndTheID() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "g", eventName: "OrderPlaced")
                try await store.setDedup(group: "g", window: DedupWindow(duration: .seconds(600)))
                try await store.store([record("a"), record("b")])
                _ = try await store.claim(group: "g", owner: "o", limit: 10)
                let settled = try await store.settle(
                    group: "g",
                    owner: "o",
                    [GroupSettlement(id: "a", kind: .acknowledge), GroupSettlement(id: "b", kind: .acknowledge)]
                )
                #expect(settled == ["a", "b"])
                // Published again within the window: not stored (the tombstones and the ids).
                try await store.store([record("a"), record("b")])
                #expect(try await PostgresGroups(client, schema: schema).pending(group: "g") == 0)
                #expect(try await store.claim(group: "g", owner: "o", limit: 10).isEmpty)
            }
        }

        @Test func aBatchIsPublishedInOneStatementWithItsOrderingKeysEvenThroughMiddleware() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema)
                let bus = Bus()
                // Middleware sees every event (here: a header); the batch stays one batch.
                let stamp = bus.use(HeaderStamp())
                try await bus.declareMailbox(.durable(name: "keyed", store: shared), for: OrderPlaced.self)
                let events = (0..<100).map { OrderPlaced(id: $0) }
                let reports = try await bus.publish(contentsOf: events, orderingKey: { "customer-\($0.id % 3)" })
                #expect(reports.count == 100)
                var rows: [(key: String?, transaction: String)] = []
                for try await (key, transaction) in try await client.query(
                    """
                    SELECT ordering_key, xmin::text FROM \(unescaped: schema).deliveries
                    WHERE group_name = 'keyed' ORDER BY seq
                    """
                ).decode((String?, String).self) {
                    rows.append((key, transaction))
                }
                // One transaction wrote them all (one xmin), in publish order, each with its key.
                #expect(Set(rows.map(\.transaction)).count == 1)
                #expect(rows.map(\.key) == events.map { "customer-\($0.id % 3)" })
                // The keys hold: a consumer gets each key's events in publish order.
                let recorder = Recorder()
                try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "keyed", store: shared)) { order in
                    await recorder.record(order.id)
                }
                try await PostgresTestSupport.eventually { await recorder.count == 100 }
                let handled = await recorder.ids
                for key in 0..<3 {
                    let ofKey = handled.filter { $0 % 3 == key }
                    #expect(ofKey == ofKey.sorted())
                }
                stamp.cancel()
                await bus.shutdown()
            }
        }

        @Test func aCrashBeforeTheWriteRedeliversExactlyTheUnwrittenSettlements() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                // Written by count only (the delay is an hour): 4 at a time.
                let options = PostgresStoreOptions(
                    batchSize: 16,
                    lease: .seconds(1),
                    pollInterval: .milliseconds(100),
                    settleBatchSize: 4,
                    settleDelay: .seconds(3600)
                )
                let shared = DurableStore.postgres(client, schema: schema, options: options)
                let mailbox = Mailbox.durable(name: "crashing", store: shared)
                let first = Bus()
                let handled = Recorder()
                try await first.consume(OrderPlaced.self, mailbox: mailbox) { order in
                    await handled.record(order.id)
                    // The tenth never finishes: the crash comes while it runs.
                    if order.id == 9 { try await Task.sleep(for: .seconds(3600)) }
                }
                try await first.publish(contentsOf: (0..<10).map { OrderPlaced(id: $0) })
                try await PostgresTestSupport.eventually { await handled.count == 10 }
                // 0–3 and 4–7 were written; 8 waits for three more; 9 is in the handler.
                first.simulateCrash()
                let groups = PostgresGroups(client, schema: schema)
                #expect(try await groups.pending(group: "crashing") == 2)
                let second = Bus()
                let again = Recorder()
                try await second.consume(OrderPlaced.self, mailbox: mailbox) { order in
                    await again.record(order.id)
                }
                try await PostgresTestSupport.eventually { await again.count == 2 }
                #expect(await again.ids.sorted() == [8, 9])
                await second.shutdown()
                #expect(try await groups.pending(group: "crashing") == 0)
            }
        }

        @Test func aManualAckWaitsForItsStatementAndReportsALostLease() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema)
                let bus = Bus()
                let deliveries = try await bus.subscribe(
                    OrderPlaced.self,
                    mailbox: .durable(name: "manual", store: shared),
                    acknowledgement: .manual(visibilityTimeout: nil)
                )
                try await bus.publish(contentsOf: [OrderPlaced(id: 1), OrderPlaced(id: 2)])
                var iterator = deliveries.makeAsyncIterator()
                let first = try #require(try await iterator.next())
                let second = try #require(try await iterator.next())
                // The first one's lease ran out and another instance claimed it.
                try await client.query(
                    """
                    UPDATE \(unescaped: schema).deliveries SET lease_owner = 'another instance'
                    WHERE group_name = 'manual' AND event_id = \(first.metadata.id.description)
                    """
                )
                await #expect {
                    try await first.ack()
                } throws: { error in
                    guard case BusError.alreadySettled = error else { return false }
                    return true
                }
                // The other one's ack returns once its statement committed: the row is gone then.
                try await second.ack()
                var left: [String] = []
                for try await id in try await client.query(
                    "SELECT event_id FROM \(unescaped: schema).deliveries WHERE group_name = 'manual'"
                ).decode(String.self) {
                    left.append(id)
                }
                #expect(left == [first.metadata.id.description])
                await bus.shutdown(draining: .zero)
            }
        }

        @Test func aStaleLeasesBatchedAcknowledgementsAreRefusedForTheirRowsOnly() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                // Nothing is written before the consumer stops (an hour's delay, room for 100).
                let options = PostgresStoreOptions(settleBatchSize: 100, settleDelay: .seconds(3600))
                let shared = DurableStore.postgres(client, schema: schema, options: options)
                let bus = Bus()
                let handled = Recorder()
                let consumer = try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "stale", store: shared)
                ) { order in
                    await handled.record(order.id)
                    // The last one runs until the consumer stops: the loop never waits for work, where
                    // it would write its settlements first.
                    if order.id == 6 { try await Task.sleep(for: .seconds(3600)) }
                }
                let id = { (order: OrderPlaced) in EventID(high: 0, low: UInt64(order.id) + 1) }
                try await bus.publish(contentsOf: (0..<7).map { OrderPlaced(id: $0) }, id: id)
                try await PostgresTestSupport.eventually { await handled.count == 7 }
                // Meanwhile the leases of 1, 3 and 4 ran out and another instance claimed them.
                let stolen = [1, 3, 4].map { id(OrderPlaced(id: $0)).description }
                try await client.query(
                    """
                    UPDATE \(unescaped: schema).deliveries SET lease_owner = 'another instance'
                    WHERE group_name = 'stale' AND event_id = ANY(\(stolen))
                    """
                )
                // Stopping writes the batch: three count, the other instance's three stay its own.
                consumer.cancel()
                let inHandler = id(OrderPlaced(id: 6)).description
                try await PostgresTestSupport.eventually {
                    guard consumer.metrics().acked == 3 else { return false }
                    // The stop gives back the one in the handler after the write.
                    for try await owner in try await client.query(
                        """
                        SELECT lease_owner FROM \(unescaped: schema).deliveries
                        WHERE group_name = 'stale' AND event_id = \(inHandler)
                        """
                    ).decode(String?.self) {
                        return owner == nil
                    }
                    return false
                }
                var left: [String: String] = [:]
                for try await (id, owner) in try await client.query(
                    "SELECT event_id, lease_owner FROM \(unescaped: schema).deliveries WHERE group_name = 'stale'"
                ).decode((String, String?).self) {
                    left[id] = owner ?? "none"
                }
                // The one in the handler was given back by the stop.
                var expected = Dictionary(uniqueKeysWithValues: stolen.map { ($0, "another instance") })
                expected[id(OrderPlaced(id: 6)).description] = "none"
                #expect(left == expected)
                await bus.shutdown(draining: .zero)
            }
        }
    }

    /// Publish middleware that stamps a header on every event.
    struct HeaderStamp: Middleware {
        func willPublish(_ envelope: inout PublishEnvelope) throws {
            envelope.metadata.headers["stamped"] = "yes"
        }
    }
#endif
