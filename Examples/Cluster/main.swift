// Cluster — one program run as four instances that share PostgreSQL (trait PostgresSupport):
// a stored queue their workers compete for, requests one instance answers for another, and a
// broadcast every instance receives. One worker is killed midway; nothing is lost.
//
//   bash Examples/Cluster/run           # starts and stops a local PostgreSQL (needs root: .ci/postgres)
//   EVENTBUS_POSTGRES_URL=postgres://… bash Examples/Cluster/run      # or a server you run
//
// The first instance (the coordinator) starts three workers — this same program with
// `--worker N` — sends 300 thumbnail jobs to the queue "thumbnails", asks the workers for stock
// levels (`request`: each answered by one worker, whichever), kills worker 2 with SIGKILL, and
// broadcasts a cache invalidation that every instance's in-memory subscribers receive. It prints
// who handled what and checks that every job was handled: the jobs worker 2 held come back to
// the others once its lease runs out.
#if PostgresSupport
    import CommandLineSupport
    import EventBus
    import EventBusPostgres
    import Foundation
    import PostgresNIO
    import Synchronization

    #if canImport(Glibc)
        import Glibc
    #endif

    /// A job for the stored queue "thumbnails".
    struct ResizeImage: Event, Codable {
        let id: Int
    }

    /// A request any worker answers.
    struct GetStock: Request, Codable {
        typealias Response = StockLevel
        let sku: String
    }

    /// The answer, with the instance that gave it.
    struct StockLevel: Codable, Sendable {
        let sku: String
        let units: Int
        let answeredBy: String
    }

    /// Broadcast to every instance.
    struct CacheInvalidated: Event, Codable {
        let key: String
    }

    let spec = CommandSpec(
        name: "swift run --traits PostgresSupport Cluster",
        summary: "four instances share a queue, answer each other's requests and receive a broadcast",
        options: [
            OptionSpec("--jobs", value: "N", help: "how many jobs to send (default 300)"),
            OptionSpec("--worker", value: "N", help: "run as worker N (the coordinator starts them)"),
            OptionSpec("--schema", value: "NAME", help: "the schema (the coordinator makes one)"),
        ]
    )

    /// The client of `EVENTBUS_POSTGRES_URL`.
    func makeClient() throws -> PostgresClient {
        guard let text = ProcessInfo.processInfo.environment["EVENTBUS_POSTGRES_URL"] else {
            throw ClusterError("EVENTBUS_POSTGRES_URL is not set: run it with `bash Examples/Cluster/run`")
        }
        let url = try PostgresURL(parsing: text, environment: ProcessInfo.processInfo.environment)
        return PostgresClient(
            configuration: PostgresClient.Configuration(
                host: url.host,
                port: url.port,
                username: url.user,
                password: url.password,
                database: url.database,
                tls: .disable
            )
        )
    }

    struct ClusterError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A bus with the transport, and the transport's store, on `schema`.
    func makeBus(_ client: PostgresClient, schema: String) throws -> (Bus, DurableStore) {
        let transport = Transport.postgres(
            client,
            schema: schema,
            options: PostgresStoreOptions(batchSize: 4, lease: .seconds(3), pollInterval: .milliseconds(200))
        )
        guard let store = transport.store else { throw ClusterError("the transport has no store") }
        return (Bus(configuration: BusConfiguration(durableStore: store, transport: transport)), store)
    }

    /// A worker: consumes jobs, answers stock requests, receives broadcasts; until killed or told
    /// to stop (SIGTERM: it drains, then exits).
    func runWorker(_ number: Int, schema: String) async throws {
        let name = "worker \(number)"
        let client = try makeClient()
        Task { await client.run() }
        let (bus, store) = try makeBus(client, schema: schema)
        let table = "\"\(schema)\""
        try await bus.consume(ResizeImage.self, from: "thumbnails", mailbox: .durable(name: "thumbnails", store: store))
        {
            job in
            try await Task.sleep(for: .milliseconds(5))  // resizing
            try await client.query("INSERT INTO \(unescaped: table).handled (job, worker) VALUES (\(job.id), \(name))")
        }
        try bus.respond(GetStock.self) { request in
            StockLevel(sku: request.sku, units: request.sku.count * 7, answeredBy: name)
        }
        try await bus.declareBroadcast(CacheInvalidated.self)
        try bus.on(CacheInvalidated.self) { invalidation in
            print("  \(name): cache key \"\(invalidation.key)\" invalidated")
            try await client.query("INSERT INTO \(unescaped: table).seen (worker) VALUES (\(name))")
        }
        // Serving: the coordinator waits for this row.
        try await client.query("INSERT INTO \(unescaped: table).ready (worker) VALUES (\(name))")
        let stop = DispatchSource.makeSignalSource(signal: SIGTERM)
        signal(SIGTERM, SIG_IGN)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            stop.setEventHandler { continuation.resume() }
            stop.resume()
        }
        await bus.shutdown(draining: .seconds(5))
    }

    /// The coordinator: starts the workers, sends, asks, kills one, broadcasts, checks.
    func runCoordinator(jobs: Int) async throws {
        let client = try makeClient()
        Task { await client.run() }
        let schema = "cluster_" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let table = "\"\(schema)\""
        let (bus, store) = try makeBus(client, schema: schema)
        _ = try await PostgresGroups(client, schema: schema).migrate()
        try await client.query("CREATE TABLE \(unescaped: table).handled (job integer NOT NULL, worker text NOT NULL)")
        try await client.query("CREATE TABLE \(unescaped: table).ready (worker text NOT NULL)")
        try await client.query("CREATE TABLE \(unescaped: table).seen (worker text NOT NULL)")
        func count(_ query: PostgresQuery) async throws -> Int {
            var value = 0
            for try await number in try await client.query(query).decode(Int64.self) { value = Int(number) }
            return value
        }

        print("schema \(schema): starting 3 workers")
        var workers: [Process] = []
        defer { for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        for number in 1...3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["--worker", "\(number)", "--schema", schema]
            try process.run()
            workers.append(process)
        }
        while try await count("SELECT count(*)::bigint FROM \(unescaped: table).ready") < 3 {
            try await Task.sleep(for: .milliseconds(50))
        }

        try await bus.declareQueue(
            "thumbnails",
            for: ResizeImage.self,
            mailbox: .durable(name: "thumbnails", store: store)
        )
        try await bus.declareBroadcast(CacheInvalidated.self)
        try bus.on(CacheInvalidated.self) { invalidation in
            print("  coordinator: cache key \"\(invalidation.key)\" invalidated (its own publish, once)")
        }
        print("coordinator → queue \"thumbnails\": \(jobs) jobs (each stored before send returns)")
        for id in 1...jobs { try await bus.send(ResizeImage(id: id), to: "thumbnails") }

        print("coordinator → request GetStock ×6 (any worker answers; the reply comes back here only)")
        for sku in ["A", "BB", "CCC", "DDDD", "EEEEE", "FFFFFF"] {
            let level = try await bus.request(GetStock(sku: sku), timeout: .seconds(10))
            print("  \(sku): \(level.units) units, answered by \(level.answeredBy)")
        }

        while try await count("SELECT count(*)::bigint FROM \(unescaped: table).handled") < jobs / 3 {
            try await Task.sleep(for: .milliseconds(20))
        }
        print("coordinator: SIGKILL worker 2 mid-run (what it held comes back when its lease runs out)")
        kill(workers[1].processIdentifier, SIGKILL)
        workers[1].waitUntilExit()

        print("coordinator → broadcast CacheInvalidated(\"prices\") to every instance")
        try await bus.publish(CacheInvalidated(key: "prices"))

        while try await PostgresGroups(client, schema: schema).pending(group: "queue:thumbnails") > 0 {
            try await Task.sleep(for: .milliseconds(100))
        }
        while try await count("SELECT count(*)::bigint FROM \(unescaped: table).seen") < 2 {
            try await Task.sleep(for: .milliseconds(20))
        }
        for (index, worker) in workers.enumerated() where index != 1 { kill(worker.processIdentifier, SIGTERM) }
        for worker in workers { worker.waitUntilExit() }

        print("\nwho handled what:")
        let rows = try await client.query(
            "SELECT worker, count(*)::bigint FROM \(unescaped: table).handled GROUP BY worker ORDER BY worker"
        )
        for try await (worker, handled) in rows.decode((String, Int64).self) {
            print("  \(worker): \(handled) jobs\(worker == "worker 2" ? " (killed midway)" : "")")
        }
        let distinct = try await count("SELECT count(DISTINCT job)::bigint FROM \(unescaped: table).handled")
        let total = try await count("SELECT count(*)::bigint FROM \(unescaped: table).handled")
        print("jobs handled: \(distinct) of \(jobs) (\(total - distinct) handled twice: held by worker 2 when it died)")
        await bus.shutdown()
        try await client.query("DROP SCHEMA \(unescaped: table) CASCADE")
        guard distinct == jobs else { throw ClusterError("\(jobs - distinct) jobs were lost") }
        print("nothing lost")
    }

    await CommandExit.run("cluster") {
        let arguments = try spec.parse(Array(CommandLine.arguments.dropFirst()))
        if let worker = arguments.value("--worker") {
            guard let number = Int(worker), (1...3).contains(number), let schema = arguments.value("--schema") else {
                throw ArgumentError.invalidValue("--worker", value: worker, expected: "1, 2 or 3 with --schema")
            }
            try await runWorker(number, schema: schema)
        } else {
            try await runCoordinator(jobs: try arguments.int("--jobs", default: 300, in: 30...100_000))
        }
    }
#else
    print("Cluster needs the trait PostgresSupport: run it with `bash Examples/Cluster/run`")
#endif
