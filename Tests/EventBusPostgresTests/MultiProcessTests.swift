#if PostgresSupport
    import EventBus
    import EventLog
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

    /// The request the instance processes answer (the same name as theirs).
    struct RemoteQuote: Request, Codable {
        static let eventName = "GetQuote"
        typealias Response = Int
        let symbol: String
    }

    /// The broadcast the instance processes receive (the same name as theirs).
    struct RemotePriceChanged: Event, Codable {
        static let eventName = "PriceChanged"
        let sku: String
        var note: String = ""
    }

    /// Instance processes (`PostgresInstance`) and this test's own bus share a schema: a consumer
    /// group and a stored queue with one instance killed mid-run, requests answered by another
    /// process (and one whose responder is killed), broadcasts seen by three processes.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(5)))
    struct MultiProcessTests {
        static let options = PostgresStoreOptions(batchSize: 16, lease: .seconds(5), pollInterval: .milliseconds(200))

        /// The instance executable, beside the test bundle.
        private static func instancePath() throws -> String {
            let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let path = bundle.appendingPathComponent("PostgresInstance").path
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw PostgresStoreError.invalidSchema("no PostgresInstance executable at \(path)")
            }
            return path
        }

        /// The tables the instances record into.
        private static func makeTables(_ client: PostgresClient, _ schema: String) async throws {
            // The schema exists once a store prepared it; the test's tables go beside the bus's.
            _ = try await PostgresGroups(client, schema: schema).migrate()
            try await client.query(
                "CREATE TABLE \(unescaped: schema).handled (n integer NOT NULL, instance text NOT NULL)"
            )
            try await client.query("CREATE TABLE \(unescaped: schema).ready (instance text NOT NULL)")
            try await client.query("CREATE TABLE \(unescaped: schema).started (instance text NOT NULL)")
            try await client.query(
                "CREATE TABLE \(unescaped: schema).seen (seq bigserial, instance text NOT NULL, sku text NOT NULL)"
            )
        }

        /// Starts an instance process.
        private static func spawn(
            mode: String,
            instance: String,
            schema: String,
            hang: Bool = false
        ) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try instancePath())
            var environment = ProcessInfo.processInfo.environment
            environment["EVENTBUS_SCHEMA"] = schema
            environment["EVENTBUS_INSTANCE"] = instance
            environment["EVENTBUS_MODE"] = mode
            if hang { environment["EVENTBUS_HANG"] = "1" }
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }

        /// Until `count` instances serve.
        private static func untilReady(_ client: PostgresClient, _ schema: String, _ count: Int) async throws {
            try await PostgresTestSupport.eventually {
                try await scalar(client, "SELECT count(*)::bigint FROM \(unescaped: schema).ready") >= count
            }
        }

        /// A bus of this process with the transport on the test's schema.
        private static func bus(_ client: PostgresClient, _ schema: String) -> (Bus, DurableStore) {
            let transport = Transport.postgres(client, schema: schema, options: options)
            let store = transport.store ?? DurableStore.postgres(client, schema: schema, options: options)
            return (Bus(configuration: BusConfiguration(durableStore: store, transport: transport)), store)
        }

        /// Three instances share a consumer group (`consume`) or a stored queue (`receive`); the
        /// first is killed with SIGKILL mid-run. Every event is handled, and one is handled twice
        /// only if the killed instance had it in hand (its lease ran out before its
        /// acknowledgement was stored).
        @Test(arguments: ["consume", "receive"])
        func threeInstancesShareWorkAndOneIsKilled(mode: String) async throws {
            let events = mode == "consume" ? 10_000 : 2_000
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                try await Self.makeTables(client, schema)
                let (publisher, store) = Self.bus(client, schema)
                if mode == "consume" {
                    try await publisher.declareMailbox(.durable(name: "crash", store: store), for: Job.self)
                } else {
                    try await publisher.declareQueue(
                        "jobs",
                        for: Job.self,
                        mailbox: .durable(name: "crashq", store: store)
                    )
                }
                var processes: [Process] = []
                defer { for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
                for index in 0..<3 {
                    processes.append(try Self.spawn(mode: mode, instance: "instance-\(index)", schema: schema))
                }
                if mode == "consume" {
                    for start in stride(from: 0, to: events, by: 500) {
                        try await publisher.publish(contentsOf: (start..<start + 500).map { Job(n: $0) })
                    }
                } else {
                    for n in 0..<events { try await publisher.send(Job(n: n), to: "jobs") }
                }
                // Mid-run: once a fifth is handled, the first instance dies without a word.
                try await PostgresTestSupport.eventually {
                    try await Self.scalar(client, "SELECT count(*)::bigint FROM \(unescaped: schema).handled")
                        >= events / 5
                }
                kill(processes[0].processIdentifier, SIGKILL)
                processes[0].waitUntilExit()
                let groups = PostgresGroups(client, schema: schema)
                let group = mode == "consume" ? "crash" : "queue:crashq"
                try await PostgresTestSupport.eventually { try await groups.pending(group: group) == 0 }
                let distinct = try await Self.scalar(
                    client,
                    "SELECT count(DISTINCT n)::bigint FROM \(unescaped: schema).handled"
                )
                #expect(distinct == events)
                // Handled twice or more: only events the killed instance had in hand.
                let unexplained = try await Self.scalar(
                    client,
                    """
                    SELECT count(*)::bigint FROM (SELECT n FROM \(unescaped: schema).handled GROUP BY n
                        HAVING count(*) > 1 AND bool_and(instance <> 'instance-0')) AS d
                    """
                )
                #expect(unexplained == 0)
                #expect(try await groups.deadLetters(group: group).isEmpty)
                await publisher.shutdown()
            }
        }

        /// A request with no responder in this process is answered by one in another process.
        @Test func aRequestIsAnsweredByAnotherProcess() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                try await Self.makeTables(client, schema)
                let responder = try Self.spawn(mode: "respond", instance: "responder", schema: schema)
                defer { if responder.isRunning { kill(responder.processIdentifier, SIGKILL) } }
                try await Self.untilReady(client, schema, 1)
                let (bus, _) = Self.bus(client, schema)
                #expect(try await bus.request(RemoteQuote(symbol: "ACME"), timeout: .seconds(30)) == 400)
                #expect(try await bus.request(RemoteQuote(symbol: "AB"), timeout: .seconds(30)) == 200)
                await bus.shutdown()
            }
        }

        /// The responder's process dies while it handles the request: the requester gets
        /// `BusError.timeout` at its deadline — a typed error, never a hang.
        @Test func aResponderKilledMidRequestGivesATypedErrorByTheTimeout() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                try await Self.makeTables(client, schema)
                let responder = try Self.spawn(mode: "respond", instance: "doomed", schema: schema, hang: true)
                defer { if responder.isRunning { kill(responder.processIdentifier, SIGKILL) } }
                try await Self.untilReady(client, schema, 1)
                let (bus, _) = Self.bus(client, schema)
                let request = Task { try await bus.request(RemoteQuote(symbol: "X"), timeout: .seconds(5)) }
                try await PostgresTestSupport.eventually {
                    try await Self.scalar(client, "SELECT count(*)::bigint FROM \(unescaped: schema).started") == 1
                }
                kill(responder.processIdentifier, SIGKILL)
                responder.waitUntilExit()
                await #expect {
                    try await request.value
                } throws: { error in
                    guard case BusError.timeout(let name, _) = error else { return false }
                    return name == RemoteQuote.eventName
                }
                await bus.shutdown()
            }
        }

        /// A broadcast reaches the in-memory subscribers of three other processes, each once and
        /// in publish order, and its publisher's own subscriber once.
        @Test func aBroadcastIsSeenByThreeProcessesAndNotTwiceByItsPublisher() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                try await Self.makeTables(client, schema)
                var processes: [Process] = []
                defer { for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) } }
                for index in 0..<3 {
                    processes.append(try Self.spawn(mode: "broadcast", instance: "listener-\(index)", schema: schema))
                }
                try await Self.untilReady(client, schema, 3)
                let (bus, _) = Self.bus(client, schema)
                try await bus.declareBroadcast(RemotePriceChanged.self)
                let own = Locked<[String]>([])
                try bus.on(RemotePriceChanged.self) { change in own.withLock { $0.append(change.sku) } }
                let large = String(repeating: "x", count: 12_000)
                for sku in ["A", "B", "C"] {
                    try await bus.publish(RemotePriceChanged(sku: sku, note: sku == "B" ? large : ""))
                }
                try await PostgresTestSupport.eventually {
                    try await Self.scalar(client, "SELECT count(*)::bigint FROM \(unescaped: schema).seen") >= 9
                }
                for index in 0..<3 {
                    var skus: [String] = []
                    let rows = try await client.query(
                        """
                        SELECT sku FROM \(unescaped: schema).seen WHERE instance = \("listener-\(index)") ORDER BY seq
                        """
                    )
                    for try await sku in rows.decode(String.self) { skus.append(sku) }
                    #expect(skus == ["A", "B", "C"], "listener-\(index)")
                }
                await bus.waitUntilIdle()
                #expect(own.withLock { $0 } == ["A", "B", "C"])
                await bus.shutdown()
            }
        }

        private static func scalar(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int {
            var value = 0
            for try await count in try await client.query(query).decode(Int64.self) { value = Int(count) }
            return value
        }
    }
#endif
