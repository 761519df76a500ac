// One instance of a server for the multi-process tests of EventBusPostgresTests, until it is
// killed. $EVENTBUS_MODE says what it does (in the schema $EVENTBUS_SCHEMA, as $EVENTBUS_INSTANCE):
//
// - `consume` (default): consumes the consumer group "crash", recording each event in `handled`;
// - `receive`: consumes the stored point-to-point queue "jobs" (mailbox "crashq") the same way;
// - `respond`: answers `GetQuote` requests from other instances (`EVENTBUS_HANG=1`: records each
//   request in `started`, then never answers);
// - `broadcast`: receives `PriceChanged` broadcasts, recording each in `seen`.
//
// Once it serves, it records itself in `ready`.
#if PostgresSupport
    import CommandLineSupport
    import EventBus
    import EventBusPostgres
    import Foundation
    import PostgresNIO

    /// The test's event (the same name as the test's own type).
    struct Job: Event, Codable {
        static let eventName = "Job"
        let n: Int
    }

    /// The test's request.
    struct GetQuote: Request, Codable {
        static let eventName = "GetQuote"
        typealias Response = Int
        let symbol: String
    }

    /// The test's broadcast.
    struct PriceChanged: Event, Codable {
        static let eventName = "PriceChanged"
        let sku: String
        var note: String = ""
    }

    /// Runs until killed.
    func runInstance() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let text = environment["EVENTBUS_POSTGRES_URL"], let schema = environment["EVENTBUS_SCHEMA"],
            let instance = environment["EVENTBUS_INSTANCE"]
        else {
            print("needs EVENTBUS_POSTGRES_URL, EVENTBUS_SCHEMA and EVENTBUS_INSTANCE")
            exit(2)
        }
        let url = try PostgresURL(parsing: text, environment: environment)
        let client = PostgresClient(
            configuration: PostgresClient.Configuration(
                host: url.host,
                port: url.port,
                username: url.user,
                password: url.password,
                database: url.database,
                tls: .disable
            )
        )
        Task { await client.run() }
        let transport = Transport.postgres(
            client,
            schema: schema,
            options: PostgresStoreOptions(batchSize: 16, lease: .seconds(5), pollInterval: .milliseconds(200))
        )
        guard let store = transport.store else { exit(2) }
        let bus = Bus(configuration: BusConfiguration(durableStore: store, transport: transport))
        let table = "\"\(schema)\""
        let record: @Sendable (Int) async throws -> Void = { n in
            try await client.query("INSERT INTO \(unescaped: table).handled (n, instance) VALUES (\(n), \(instance))")
        }
        switch environment["EVENTBUS_MODE"] ?? "consume" {
        case "receive":
            try await bus.consume(Job.self, from: "jobs", mailbox: .durable(name: "crashq", store: store)) { job in
                try await record(job.n)
            }
        case "respond":
            let hang = environment["EVENTBUS_HANG"] == "1"
            try bus.respond(GetQuote.self) { request in
                if hang {
                    try await client.query("INSERT INTO \(unescaped: table).started (instance) VALUES (\(instance))")
                    try await Task.sleep(for: .seconds(3600))
                }
                return request.symbol.count * 100
            }
            // Registered for the other instances once the transport receives.
            while true {
                var registered: Int64 = 0
                let rows = try? await client.query(
                    """
                    SELECT count(*)::bigint FROM \(unescaped: table).responders
                    WHERE request_name = \(GetQuote.eventName)
                    """
                )
                if let rows { for try await count in rows.decode(Int64.self) { registered = count } }
                if registered > 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
        case "broadcast":
            try await bus.declareBroadcast(PriceChanged.self)
            try bus.on(PriceChanged.self) { change in
                try await client.query(
                    "INSERT INTO \(unescaped: table).seen (instance, sku) VALUES (\(instance), \(change.sku))"
                )
            }
        default:
            try await bus.consume(Job.self, mailbox: .durable(name: "crash", store: store)) { job in
                try await record(job.n)
            }
        }
        try await client.query("INSERT INTO \(unescaped: table).ready (instance) VALUES (\(instance))")
        print("ready")
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    try await runInstance()
#else
    print("the PostgreSQL instance needs the trait PostgresSupport")
#endif
