#if PostgresSupport
    import EventBus
    import EventLog
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// The store's statements against a real server: migrations, one row per declared group,
    /// dedup, leases and fencing, priorities, binding of hostile names.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct GroupStoreTests {
        private func record(
            _ id: String,
            _ eventName: String = "OrderPlaced",
            priority: Priority = .normal
        )
            -> GroupRecord
        {
            GroupRecord(eventName: eventName, id: id, body: Array(id.utf8), priority: priority, delay: nil)
        }

        @Test func migrationsAreVersionedAndIdempotent() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let groups = PostgresGroups(client, schema: schema)
                let latest = PostgresGroups.latestVersion
                #expect(try await groups.migrate() == latest)
                #expect(try await groups.migrate() == latest)
                // Another value of the store (another instance) migrates the same schema again.
                #expect(try await PostgresGroups(client, schema: schema).migrate() == latest)
                var versions: [Int32] = []
                let rows = try await client.query(
                    "SELECT version FROM \(unescaped: schema).migrations ORDER BY version"
                )
                for try await version in rows.decode(Int32.self) { versions.append(version) }
                #expect(versions == (1...latest).map { Int32($0) })
                #expect(try await groups.declared().isEmpty)
            }
        }

        @Test func invalidSchemaNamesAreRefused() async throws {
            try await PostgresTestSupport.withClient { (client, _) async throws in
                for name in ["", "Shop", "1shop", "a-b", "a\"b", String(repeating: "a", count: 41)] {
                    let store = PostgresGroupStore(client: client, schema: name, options: PostgresStoreOptions())
                    await #expect(throws: PostgresStoreError.invalidSchema(name)) {
                        try await store.declare(group: "g", eventName: "E")
                    }
                }
            }
        }

        @Test func aPublishStoresOneRowPerDeclaredGroupOfItsType() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "billing", eventName: "OrderPlaced")
                try await store.declare(group: "shipping", eventName: "OrderPlaced")
                try await store.declare(group: "audit", eventName: "ParcelShipped")
                try await store.store([record("a"), record("b")])
                let groups = PostgresGroups(client, schema: schema)
                #expect(try await groups.pending(group: "billing") == 2)
                #expect(try await groups.pending(group: "shipping") == 2)
                #expect(try await groups.pending(group: "audit") == 0)
                // Declaring again changes nothing.
                try await store.declare(group: "billing", eventName: "OrderPlaced")
                #expect(try await groups.declared().count == 3)
            }
        }

        @Test func aGroupStoresAnEventIDOnce() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "billing", eventName: "OrderPlaced")
                try await store.store([record("a")])
                try await store.store([record("a"), record("b")])
                let groups = PostgresGroups(client, schema: schema)
                #expect(try await groups.pending(group: "billing") == 2)
                // Dead-lettered, it is not stored again either.
                let claimed = try await store.claim(group: "billing", owner: "one", limit: 10)
                #expect(claimed.map(\.id) == ["a", "b"])
                #expect(
                    try await store.deadLetter(
                        group: "billing",
                        id: "a",
                        owner: "one",
                        reason: "r",
                        countsAsAttempt: true,
                        keeping: nil
                    ).settled
                )
                try await store.store([record("a")])
                #expect(try await groups.pending(group: "billing") == 1)
                #expect(try await groups.deadLetters(group: "billing").map(\.eventID) == ["a"])
            }
        }

        @Test func anAckCountsOnlyFromTheLeaseOwner() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "billing", eventName: "OrderPlaced")
                try await store.store([record("a")])
                let first = try await store.claim(group: "billing", owner: "paused", limit: 10)
                #expect(first.map(\.id) == ["a"])
                // Leased: nobody else gets it.
                #expect(try await store.claim(group: "billing", owner: "other", limit: 10).isEmpty)
                #expect(try await store.acknowledge(group: "billing", id: "a", owner: "other") == false)
                // The first claimant pauses past its lease (made to expire here, not waited for).
                try await client.query(
                    "UPDATE \(unescaped: schema).deliveries SET lease_expires_at = now() - interval '1 second'"
                )
                let second = try await store.claim(group: "billing", owner: "other", limit: 10)
                #expect(second.map(\.id) == ["a"])
                #expect(second.first?.crashes == 1)
                #expect(try await store.acknowledge(group: "billing", id: "a", owner: "paused") == false)
                #expect(
                    try await store.retry(group: "billing", id: "a", owner: "paused", after: .zero, reason: "x")
                        == false
                )
                #expect(
                    try await store.deadLetter(
                        group: "billing",
                        id: "a",
                        owner: "paused",
                        reason: "x",
                        countsAsAttempt: true,
                        keeping: nil
                    ).settled == false
                )
                #expect(try await store.acknowledge(group: "billing", id: "a", owner: "other"))
                #expect(try await PostgresGroups(client, schema: schema).pending(group: "billing") == 0)
            }
        }

        @Test func theReaperReturnsExpiredLeases() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "billing", eventName: "OrderPlaced")
                try await store.store([record("a"), record("b")])
                _ = try await store.claim(group: "billing", owner: "crashed", limit: 1)
                #expect(try await store.reapExpiredLeases() == 0)
                try await client.query(
                    "UPDATE \(unescaped: schema).deliveries SET lease_expires_at = now() - interval '1 second'"
                )
                #expect(try await store.reapExpiredLeases() == 1)
                let again = try await store.claim(group: "billing", owner: "next", limit: 10)
                #expect(again.map(\.id) == ["a", "b"])
                #expect(again.map(\.crashes) == [1, 0])
            }
        }

        @Test func retriesWaitForVisibleAtAndReleasesAreNotAttempts() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "billing", eventName: "OrderPlaced")
                try await store.store([record("a"), record("b")])
                _ = try await store.claim(group: "billing", owner: "one", limit: 10)
                #expect(
                    try await store.retry(group: "billing", id: "a", owner: "one", after: .seconds(3600), reason: "x")
                )
                try await store.release(group: "billing", owner: "one")
                // "a" backs off for an hour; "b" was given back without counting an attempt.
                let next = try await store.claim(group: "billing", owner: "two", limit: 10)
                #expect(next.map(\.id) == ["b"])
                #expect(next.first?.attempts == 0)
                #expect(next.first?.crashes == 0)
            }
        }

        @Test func anOrderingKeyIsHeldByOneClaimantAtATimeInOrder() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "g", eventName: "OrderPlaced")
                func keyed(_ id: String, _ key: String?) -> GroupRecord {
                    GroupRecord(
                        eventName: "OrderPlaced",
                        id: id,
                        body: [],
                        priority: .normal,
                        delay: nil,
                        orderingKey: key
                    )
                }
                try await store.store([keyed("x1", "x"), keyed("x2", "x"), keyed("free", nil), keyed("y1", "y")])
                // Of key x only the oldest; the others are free to take.
                #expect(try await store.claim(group: "g", owner: "one", limit: 10).map(\.id) == ["x1", "free", "y1"])
                // x2 waits while x1 is held, even for another claimant.
                #expect(try await store.claim(group: "g", owner: "two", limit: 10).isEmpty)
                // A retry keeps the key: x1 comes back before x2.
                #expect(try await store.retry(group: "g", id: "x1", owner: "one", after: .zero, reason: "r"))
                #expect(try await store.claim(group: "g", owner: "two", limit: 10).map(\.id) == ["x1"])
                #expect(try await store.acknowledge(group: "g", id: "x1", owner: "two"))
                #expect(try await store.claim(group: "g", owner: "two", limit: 10).map(\.id) == ["x2"])
            }
        }

        @Test func aHeartbeatRenewsTheLeasesOfItsOwnerOnly() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "g", eventName: "OrderPlaced")
                try await store.store([record("a"), record("b")])
                _ = try await store.claim(group: "g", owner: "one", limit: 1)
                _ = try await store.claim(group: "g", owner: "two", limit: 1)
                try await client.query(
                    "UPDATE \(unescaped: schema).deliveries SET lease_expires_at = now() - interval '1 second'"
                )
                // "b" is "two"'s: naming it renews nothing of "two"'s.
                #expect(try await store.extendLeases(group: "g", owner: "one", ids: ["a", "b"]) == 1)
                // "one" kept its lease; "two"'s expired and is claimable.
                #expect(try await store.claim(group: "g", owner: "three", limit: 10).map(\.id) == ["b"])
            }
        }

        @Test func higherLanesAreClaimedFirst() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                try await store.declare(group: "g", eventName: "OrderPlaced")
                try await store.store([
                    record("low", priority: .low), record("n1"), record("high", priority: .high), record("n2"),
                ])
                let claimed = try await store.claim(group: "g", owner: "o", limit: 10)
                #expect(claimed.map(\.id) == ["high", "n1", "n2", "low"])
            }
        }

        @Test func hostileGroupAndEventNamesAreBoundNotSpliced() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = PostgresGroupStore(client: client, schema: schema, options: PostgresStoreOptions())
                let group = "g'; DROP TABLE \(schema).deliveries; --"
                let eventName = "E\"); DELETE FROM \(schema).groups; -- $1 \\"
                try await store.declare(group: group, eventName: eventName)
                try await store.store([record("'; --", eventName)])
                let claimed = try await store.claim(group: group, owner: "o'wner", limit: 10)
                #expect(claimed.map(\.id) == ["'; --"])
                #expect(claimed.first?.eventName == eventName)
                #expect(try await store.acknowledge(group: group, id: "'; --", owner: "o'wner"))
                let groups = PostgresGroups(client, schema: schema)
                let declared = try await groups.declared()
                #expect(declared.map(\.group) == [group])
                #expect(declared.map(\.eventName) == [eventName])
            }
        }
    }
#endif
