#if PostgresSupport
    import EventBus
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    #if canImport(Glibc)
        import Glibc
    #endif

    /// The test's event: the same name as the instance process's type.
    struct Job: Event, Codable {
        static let eventName = "Job"
        let n: Int
    }

    /// Three instance processes (`PostgresInstance`) share one consumer group; one is killed with
    /// SIGKILL mid-run. At the end every event was handled, and an event was handled twice only if
    /// the killed instance handled it (its lease ran out before its acknowledgement was stored).
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(5)))
    struct MultiProcessTests {
        static let events = 10_000

        /// The instance executable, beside the test bundle.
        private static func instancePath() throws -> String {
            let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let path = bundle.appendingPathComponent("PostgresInstance").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw PostgresStoreError.invalidSchema("no PostgresInstance executable at \(path)")
            }
            return path
        }

        @Test func threeInstancesShareAGroupAndOneIsKilled() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let store = DurableStore.postgres(client, schema: schema)
                let publisher = Bus()
                try await publisher.declareMailbox(.durable(name: "crash", store: store), for: Job.self)
                try await client.query(
                    "CREATE TABLE \(unescaped: schema).handled (n integer NOT NULL, instance text NOT NULL)"
                )
                let path = try Self.instancePath()
                var processes: [Process] = []
                defer { for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
                for index in 0..<3 {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: path)
                    var environment = ProcessInfo.processInfo.environment
                    environment["EVENTBUS_SCHEMA"] = schema
                    environment["EVENTBUS_INSTANCE"] = "instance-\(index)"
                    process.environment = environment
                    process.standardOutput = FileHandle.nullDevice
                    try process.run()
                    processes.append(process)
                }
                for start in stride(from: 0, to: Self.events, by: 500) {
                    try await publisher.publish(contentsOf: (start..<start + 500).map { Job(n: $0) })
                }
                // Mid-run: once a fifth is handled, the first instance dies without a word.
                try await PostgresTestSupport.eventually {
                    try await Self.scalar(client, "SELECT count(*)::bigint FROM \(unescaped: schema).handled")
                        >= Self.events / 5
                }
                kill(processes[0].processIdentifier, SIGKILL)
                processes[0].waitUntilExit()
                let groups = PostgresGroups(client, schema: schema)
                try await PostgresTestSupport.eventually { try await groups.pending(group: "crash") == 0 }
                let distinct = try await Self.scalar(
                    client,
                    "SELECT count(DISTINCT n)::bigint FROM \(unescaped: schema).handled"
                )
                #expect(distinct == Self.events)
                // Handled twice or more: only events the killed instance had in hand.
                let unexplained = try await Self.scalar(
                    client,
                    """
                    SELECT count(*)::bigint FROM (SELECT n FROM \(unescaped: schema).handled GROUP BY n
                        HAVING count(*) > 1 AND bool_and(instance <> 'instance-0')) AS d
                    """
                )
                #expect(unexplained == 0)
                #expect(try await groups.deadLetters(group: "crash").isEmpty)
                await publisher.shutdown()
            }
        }

        private static func scalar(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int {
            var value = 0
            for try await count in try await client.query(query).decode(Int64.self) { value = Int(count) }
            return value
        }
    }
#endif
