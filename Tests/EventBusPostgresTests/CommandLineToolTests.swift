#if PostgresSupport
    import CommandLineSupport
    import EventBus
    import EventBusPostgres
    import EventLog
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusCLI

    /// `eventbus … --postgres URL`, run in-process against a real server: what it prints, what it
    /// changes, and that the password never shows.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct CommandLineToolTests {
        /// The test server trusts its clients, so any password logs in: this one must never be printed.
        static let password = "hunter2-do-not-print"

        /// EVENTBUS_POSTGRES_URL with ``password`` in it.
        static func urlWithPassword() throws -> String {
            let url = try #require(PostgresTestSupport.url)
            var components = try #require(URLComponents(string: url))
            components.password = password
            return try #require(components.string)
        }

        /// Runs `eventbus <verb> --postgres <url with password> --schema <schema> <arguments>` (a
        /// later option wins) and returns what it printed; checks that the password is not in it.
        static func run(_ verb: String, _ arguments: [String] = [], schema: String) async throws -> String {
            var lines: [String] = []
            let status = try await EventBusTool.run(
                verb,
                ["--postgres", try urlWithPassword(), "--schema", schema] + arguments,
                environment: [:]
            ) { lines.append($0) }
            #expect(status == 0)
            let text = lines.joined(separator: "\n")
            #expect(!text.contains(password))
            return text
        }

        /// The error `eventbus <verb> …` ends with, as the tool prints it; checks that the password
        /// is not in it.
        static func failure(_ verb: String, _ arguments: [String], schema: String) async throws -> any Error {
            do {
                _ = try await run(verb, arguments, schema: schema)
            } catch {
                let message = CommandExit(for: error, command: "eventbus \(verb)").message
                #expect(!message.contains(password))
                #expect(!String(reflecting: error).contains(password))
                return error
            }
            Issue.record("eventbus \(verb) \(arguments) did not fail")
            return CancellationError()
        }

        @Test func migrateAppliesTheMigrationsOnceAndPrintsTheVersion() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let first = try await Self.run("migrate", schema: schema)
                #expect(first.contains("schema \(schema) of postgres://eventbus:***@"))
                #expect(first.hasSuffix(": migrated from version 0 to \(PostgresGroups.latestVersion)"))
                let again = try await Self.run("migrate", schema: schema)
                #expect(again.hasSuffix("is at version \(PostgresGroups.latestVersion): nothing to apply"))
                #expect(
                    try await PostgresGroups(client, schema: schema).schemaVersion() == PostgresGroups.latestVersion
                )
                #expect(
                    try await Self.run("inspect", schema: schema).hasPrefix("no consumer groups in schema \(schema)")
                )
            }
        }

        @Test func inspectDumpRequeuePurgeAndRemoveAConsumerGroup() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: ConsumerGroupTests.options)
                let bus = Bus()
                // billing handles the even ids and fails the odd ones at once: two dead letters.
                try await bus.consume(
                    OrderPlaced.self,
                    mailbox: .durable(name: "billing", store: shared),
                    retry: .immediate(maxAttempts: 1)
                ) { order in
                    if order.id % 2 == 1 { throw TestFailure.declined(order.id) }
                }
                // shipping has no instance running: its events stay pending.
                try await bus.declareMailbox(.durable(name: "shipping", store: shared), for: OrderPlaced.self)
                for id in 0..<4 { try await bus.publish(OrderPlaced(id: id)) }
                let groups = PostgresGroups(client, schema: schema)
                try await PostgresTestSupport.eventually { try await groups.deadLetters(group: "billing").count == 2 }
                try await PostgresTestSupport.eventually { try await groups.pending(group: "billing") == 0 }
                await bus.shutdown()

                let inspected = try await Self.run("inspect", schema: schema)
                let table = TextTable.render([
                    ["group", "events", "pending", "dead"],
                    ["billing", OrderPlaced.eventName, "0", "2"],
                    ["shipping", OrderPlaced.eventName, "4", "0"],
                ])
                #expect(inspected.hasPrefix(table))
                let redacted = PostgresURL.redact(try Self.urlWithPassword())
                #expect(redacted.contains(":***@"))
                #expect(inspected.hasSuffix("2 consumer groups in schema \(schema) of \(redacted)"))

                let letters = try await groups.deadLetters(group: "billing")
                let dumped = try await Self.run("dump", ["--mailbox", "billing"], schema: schema)
                for letter in letters {
                    let row = dumped.split(separator: "\n").first { $0.hasPrefix(letter.eventID) }
                    let cells = try #require(row).split(separator: " ", omittingEmptySubsequences: true)
                    // id, event, version, codec, attempts, reason, body
                    #expect(cells.count >= 7)
                    #expect(cells.dropFirst().first.map(String.init) == OrderPlaced.eventName)
                    #expect(cells.dropFirst(2).first == "1")
                    #expect(cells.dropFirst(3).first == "json")
                    #expect(cells.dropFirst(4).first == "1")
                    #expect(row?.contains(letter.reason) == true)
                    let number = letter.reason.split(separator: " ").last.map(String.init) ?? ""
                    #expect(row?.hasSuffix("{\"id\":\(number)}") == true)
                }
                #expect(Set(letters.map(\.reason)) == ["declined 1", "declined 3"])
                #expect(dumped.hasSuffix("billing: 0 pending, 2 dead letters"))

                // An id that is not a dead letter: refused, nothing requeued.
                let notDead = try await Self.failure(
                    "requeue",
                    ["--mailbox", "billing", "--ids", "\(letters[0].eventID),0123456789abcdef0123456789abcdef"],
                    schema: schema
                )
                #expect(
                    notDead as? PostgresToolError
                        == .notDeadLetters(group: "billing", ids: ["0123456789abcdef0123456789abcdef"])
                )
                #expect(try await groups.deadLetters(group: "billing").count == 2)

                // One by id (by the alias), then the rest: back to pending, nobody consumes them here.
                let one = try await Self.run(
                    "requeue-dead",
                    ["--mailbox", "billing", "--ids", letters[0].eventID],
                    schema: schema
                )
                #expect(one == "requeued 1 dead letters of consumer group billing (schema \(schema))")
                #expect(try await groups.pending(group: "billing") == 1)
                #expect(try await groups.deadLetters(group: "billing").map(\.eventID) == [letters[1].eventID])
                let rest = try await Self.run("requeue", ["--mailbox", "billing"], schema: schema)
                #expect(rest == "requeued 1 dead letters of consumer group billing (schema \(schema))")
                #expect(try await groups.pending(group: "billing") == 2)
                #expect(try await groups.deadLetters(group: "billing").isEmpty)

                // purge: the pending events and dead letters go, the group stays declared.
                let purged = try await Self.run("purge", ["--mailbox", "shipping"], schema: schema)
                #expect(purged.hasPrefix("purged consumer group shipping (schema \(schema)): deleted 4 pending events"))
                #expect(try await groups.pending(group: "shipping") == 0)
                #expect(try await groups.declared().map(\.group) == ["billing", "shipping"])

                // remove: undeclared, rows deleted.
                let removed = try await Self.run("remove", ["--mailbox", "billing"], schema: schema)
                #expect(removed.hasSuffix("no longer declared, 2 pending events and 0 dead letters deleted"))
                #expect(try await groups.declared().map(\.group) == ["shipping"])
                #expect(try await groups.pending(group: "billing") == 0)

                let unknown = try await Self.failure("dump", ["--mailbox", "billing"], schema: schema)
                #expect(unknown as? PostgresToolError == .unknownGroup("billing", schema: schema, known: ["shipping"]))
            }
        }

        @Test func failuresAreTypedAndNeverShowThePassword() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                // A schema never migrated: inspect does not make it.
                let missing = try await Self.failure("inspect", [], schema: schema)
                #expect(
                    missing as? PostgresToolError
                        == .noSchema(schema: schema, url: PostgresURL.redact(try Self.urlWithPassword()))
                )
                #expect(try await PostgresGroups(client, schema: schema).schemaVersion() == nil)

                let badSchema = try await Self.failure("migrate", [], schema: "Not-A-Schema")
                #expect(badSchema as? PostgresStoreError == .invalidSchema("Not-A-Schema"))

                // The server refuses the database; nothing listens on port 1.
                var components = try #require(URLComponents(string: try Self.urlWithPassword()))
                components.path = "/no_such_database"
                let refused = try await Self.failure(
                    "inspect",
                    ["--postgres", try #require(components.string)],
                    schema: schema
                )
                guard case .loginRefused(let url, let reason) = refused as? PostgresToolError else {
                    Issue.record("not refused: \(refused)")
                    return
                }
                #expect(url.contains(":***@"))
                #expect(reason.contains("no_such_database") && reason.contains("3D000"))
                components.port = 1
                let unreachable = try await Self.failure(
                    "inspect",
                    ["--postgres", try #require(components.string)],
                    schema: schema
                )
                guard case .unreachable(let unreachableURL, _) = unreachable as? PostgresToolError else {
                    Issue.record("not unreachable: \(unreachable)")
                    return
                }
                #expect(unreachableURL.contains(":***@") && unreachableURL.contains(":1/"))

                let groupless = try await Self.failure("purge", [], schema: schema)
                #expect(groupless as? ArgumentError == .missingArgument("--mailbox NAME", command: "eventbus purge"))
            }
        }
    }
#endif
