#if PostgresSupport
    import EventBus
    import EventLog
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// Three builds of one event type on PostgreSQL rows: each its own Swift type with the same
    /// name and a higher schema version.
    enum RowsV1 {
        struct Shipment: Event, Codable {
            static let eventName = "shop.shipment"
            let id: Int
            let address: String
        }
    }

    enum RowsV2 {
        /// `address` renamed `street`.
        struct Shipment: Event, Codable {
            static let eventName = "shop.shipment"
            static let schemaVersion = 2
            static let upcasters = [JSONUpcaster(from: 1) { shipment in shipment.rename("address", to: "street") }]
            let id: Int
            let street: String
        }
    }

    enum RowsV3 {
        /// `express` added, false before.
        struct Shipment: Event, Codable {
            static let eventName = "shop.shipment"
            static let schemaVersion = 3
            static let upcasters = [
                JSONUpcaster(from: 1) { shipment in shipment.rename("address", to: "street") },
                JSONUpcaster(from: 2) { shipment in shipment["express"] = false },
            ]
            let id: Int
            let street: String
            let express: Bool
        }
    }

    /// Schema versions in a consumer group: rows of older versions upcast, and a rolling deploy in
    /// which an old instance never claims what it cannot read.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct GroupVersionTests {
        @Test func rowsOfThreeVersionsAreReadByTheNewestBuild() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: ConsumerGroupTests.options)
                let mailbox = Mailbox.durable(name: "shipping", store: shared)
                let v1 = Bus()
                try await v1.declareMailbox(mailbox, for: RowsV1.Shipment.self)
                try await v1.publish(RowsV1.Shipment(id: 1, address: "Main St 1"))
                let v2 = Bus()
                try await v2.declareMailbox(mailbox, for: RowsV2.Shipment.self)
                try await v2.publish(RowsV2.Shipment(id: 2, street: "Side St 2"))
                var versions: [Int32] = []
                for try await version in try await client.query(
                    "SELECT schema_version FROM \(unescaped: schema).deliveries ORDER BY seq"
                ).decode(Int32.self) {
                    versions.append(version)
                }
                #expect(versions == [1, 2])

                let seen = Locked<[String]>([])
                let v3 = Bus()
                try await v3.consume(RowsV3.Shipment.self, mailbox: mailbox) { shipment in
                    seen.withLock { $0.append("\(shipment.id) \(shipment.street) \(shipment.express)") }
                }
                try await v3.publish(RowsV3.Shipment(id: 3, street: "High St 3", express: true))
                try await PostgresTestSupport.eventually { seen.withLock { $0.count } == 3 }
                #expect(seen.withLock { $0 } == ["1 Main St 1 false", "2 Side St 2 false", "3 High St 3 true"])
                await v3.shutdown()
                await v2.shutdown()
                await v1.shutdown()
            }
        }

        /// Two buses, two builds of the type, during a rolling deploy: the old instance claims
        /// only what it reads; a key whose next event is newer waits, in order, for the new one.
        @Test func anOldInstanceLeavesANewerVersionAndItsKeyToANewOne() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: ConsumerGroupTests.options)
                let mailbox = Mailbox.durable(name: "shipping", store: shared)
                let handled = Locked<[String]>([])
                let old = Bus()
                try await old.consume(RowsV2.Shipment.self, mailbox: mailbox) { shipment in
                    handled.withLock { $0.append("old \(shipment.id)") }
                }
                // A new instance already publishes (its consumer is not started yet).
                let new = Bus()
                try await new.declareMailbox(mailbox, for: RowsV3.Shipment.self)
                try await new.publish(RowsV3.Shipment(id: 1, street: "a", express: true), orderingKey: "parcel-7")
                try await old.publish(RowsV2.Shipment(id: 2, street: "b"), orderingKey: "parcel-7")
                try await old.publish(RowsV2.Shipment(id: 3, street: "c"))
                try await PostgresTestSupport.eventually { handled.withLock { $0 } == ["old 3"] }
                // What an old instance may claim now: nothing (1 is newer, 2 waits behind it).
                let store = PostgresGroupStore(client: client, schema: schema, options: ConsumerGroupTests.options)
                #expect(try await store.claim(group: "shipping", owner: "probe", limit: 10, readableVersion: 2).isEmpty)
                #expect(try await PostgresGroups(client, schema: schema).pending(group: "shipping") == 2)
                #expect(try await old.deadLetters(of: mailbox).isEmpty)

                // The new build's consumer starts: it handles the key's events, in order.
                try await new.consume(RowsV3.Shipment.self, mailbox: mailbox) { shipment in
                    handled.withLock { $0.append("new \(shipment.id)") }
                }
                try await PostgresTestSupport.eventually { handled.withLock { $0.count } == 3 }
                let order = handled.withLock { $0 }
                #expect(order.first == "old 3")
                #expect(order.contains("new 1"))
                #expect(!order.contains("old 1"))
                // 2 (version 2) may go to either instance, but only after 1.
                let first = try #require(order.firstIndex(of: "new 1"))
                let second = try #require(order.firstIndex { $0.hasSuffix(" 2") })
                #expect(first < second)
                await new.shutdown()
                await old.shutdown()
            }
        }

        /// With no instance that reads it, a newer version waits for the store's bound; then an
        /// old instance dead-letters it (unknown version), and after the deploy it is requeued.
        @Test func aNewerVersionNobodyReadsIsDeadLetteredAfterTheBoundAndRequeuedLater() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                var impatient = ConsumerGroupTests.options
                impatient.newerVersionTimeout = .zero
                let oldStore = DurableStore.postgres(client, schema: schema, options: impatient)
                let handled = Locked<[String]>([])
                let old = Bus()
                let oldMailbox = Mailbox.durable(name: "shipping", store: oldStore)
                let consumer = try await old.consume(RowsV2.Shipment.self, mailbox: oldMailbox) { shipment in
                    handled.withLock { $0.append("old \(shipment.id)") }
                }
                let newStore = DurableStore.postgres(client, schema: schema, options: ConsumerGroupTests.options)
                let newMailbox = Mailbox.durable(name: "shipping", store: newStore)
                let new = Bus()
                try await new.declareMailbox(newMailbox, for: RowsV3.Shipment.self)
                try await new.publish(RowsV3.Shipment(id: 9, street: "z", express: true))
                try await PostgresTestSupport.eventually { try await old.deadLetters(of: oldMailbox).count == 1 }
                let letter = try #require(try await old.deadLetters(of: oldMailbox).first)
                #expect(letter.reason == .unknownVersion(stored: 3, known: 2))
                #expect(letter.schemaVersion == 3 && letter.attempts == 0)
                #expect(consumer.metrics().deadLettered == 1)
                #expect(handled.withLock { $0 }.isEmpty)
                await old.shutdown()

                // The deploy finished: the new build requeues it and handles it.
                try await new.consume(RowsV3.Shipment.self, mailbox: newMailbox) { shipment in
                    handled.withLock { $0.append("new \(shipment.id) \(shipment.express)") }
                }
                #expect(try await new.requeueDeadLetters(of: newMailbox) == 1)
                try await PostgresTestSupport.eventually { handled.withLock { $0 } == ["new 9 true"] }
                await new.shutdown()
            }
        }
    }
#endif
