#if PostgresSupport
    import EventBus
    import EventLog
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// A consumer group's dead letters through the bus's API by mailbox, whatever their type:
    /// from the instance that consumes the group, from one that never declared it, by name.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct GroupDeadLetterTests {
        @Test func everyDeadLetterIsListedAndRequeuedByMailbox() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: ConsumerGroupTests.options)
                let mailbox = Mailbox.durable(name: "mixed", store: shared)
                let failing = Locked(true)
                let recorder = Recorder()
                let bus = Bus()
                try await bus.consume(OrderPlaced.self, mailbox: mailbox) { order in
                    if failing.withLock({ $0 }) { throw TestFailure.declined(order.id) }
                    await recorder.record(order.id)
                }
                // Another deployment's type in the same group, and a failing event of this one.
                let other = Bus()
                try await other.declareMailbox(mailbox, for: ParcelShipped.self)
                try await other.publish(ParcelShipped(id: 1), headers: ["tenant": "t1"])
                try await bus.publish(OrderPlaced(id: 2), correlationID: "c-2")
                try await PostgresTestSupport.eventually { try await bus.deadLetters(of: mailbox).count == 2 }

                let letters = try await bus.deadLetters(of: mailbox)
                let parcel = try #require(letters.first { $0.eventName == ParcelShipped.eventName })
                let order = try #require(letters.first { $0.eventName == OrderPlaced.eventName })
                guard case .undecodable(let text) = parcel.reason else {
                    Issue.record("reason \(parcel.reason)")
                    return
                }
                #expect(text.contains("unknown event type"))
                #expect(parcel.headers == ["tenant": "t1"] && parcel.attempts == 0)
                #expect(try JSONDecoder().decode(ParcelShipped.self, from: Data(parcel.body)).id == 1)
                #expect(order.reason == .handlerFailed("declined 2"))
                #expect(order.correlationID == "c-2" && order.attempts == 1)
                #expect(order.schemaVersion == 1 && order.codecID == "json" && order.mailbox == "mixed")

                // By the name its metrics show, and from an instance that never declared it.
                #expect(Set(try await bus.deadLetters(ofMailboxNamed: "mixed").map(\.id)) == Set(letters.map(\.id)))
                let tool = Bus()
                #expect(Set(try await tool.deadLetters(of: mailbox).map(\.id)) == Set(letters.map(\.id)))
                #expect(try await tool.deadLetters(of: mailbox, limit: 1).count == 1)
                let dumped = try await PostgresGroups(client, schema: schema).storedDeadLetters(group: "mixed")
                #expect(Set(dumped.map(\.id)) == Set(letters.map(\.id)))

                // Fixed, and requeued by id from the instance that never declared the group.
                failing.withLock { $0 = false }
                #expect(try await tool.requeueDeadLetters(of: mailbox, ids: [order.id]) == 1)
                try await PostgresTestSupport.eventually { await recorder.ids == [2] }
                #expect(try await bus.deadLetters(of: mailbox).map(\.id) == [parcel.id])
                #expect(try await bus.requeueDeadLetters(ofMailboxNamed: "mixed", ids: [EventID(high: 1, low: 1)]) == 0)
                await tool.shutdown()
                await other.shutdown()
                await bus.shutdown()
            }
        }
    }
#endif
