#if PostgresSupport
    import EventBus
    import EventBusDashboard
    import EventBusPostgres
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusCLI

    /// `eventbus dashboard --postgres`: a schema's consumer groups, their dead letters, and requeue
    /// and purge through `PostgresGroups`, on a real server.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct StoredGroupsTests {
        struct Declined: Error, CustomStringConvertible {
            var description: String { "card declined" }
        }

        @Test func aGroupsNumbersAndDeadLettersAreShownAndItsActionsDone() async throws {
            try await PostgresTestSupport.withClient { client, schema in
                let bus = Bus()
                let billing = try await bus.consume(
                    Order.self,
                    mailbox: .durable(name: "billing", store: .postgres(client, schema: schema))
                ) { order in
                    if order.id == 2 { throw Declined() }
                }
                for id in 1...3 { try await bus.publish(Order(id: id)) }
                let groups = PostgresGroups(client, schema: schema)
                try await PostgresTestSupport.eventually {
                    let dead = try await groups.deadLetters(group: "billing").count
                    let pending = try await groups.pending(group: "billing")
                    return dead == 1 && pending == 0
                }
                billing.cancel()
                _ = await bus.shutdown(draining: .zero)

                let source = StoredDashboardSource(directories: [], groups: groups)
                let mailboxes = try await source.mailboxes()
                #expect(mailboxes.map(\.name) == ["billing"])
                #expect(mailboxes[0].kind == .group)
                #expect(mailboxes[0].deadLetters == 1)
                #expect(mailboxes[0].actions == [.requeue, .purge, .remove])
                let letters = try await source.deadLetters(of: "billing", limit: 10, bodies: false)
                #expect(
                    letters.map(\.reason) == [DeadLetterReasonSnapshot(kind: "handlerFailed", text: "card declined")]
                )
                #expect(letters.map(\.eventName) == [Order.eventName])

                // An id that is not a dead letter: refused, nothing moved.
                await #expect(throws: DashboardActionError.notDeadLetters(mailbox: "billing", ids: ["nope"])) {
                    try await source.perform(.requeue(mailbox: "billing", ids: ["nope"]))
                }
                let requeued = try await source.perform(.requeue(mailbox: "billing", ids: [letters[0].id]))
                #expect(requeued == "requeued 1 dead letter of consumer group billing")
                #expect(try await groups.pending(group: "billing") == 1)
                let purged = try await source.perform(.purge(mailbox: "billing"))
                #expect(purged == "purged consumer group billing: deleted 1 pending event and 0 dead letters")
                #expect(try await groups.pending(group: "billing") == 0)
            }
        }
    }
#endif
