// One instance of a server for the multi-process test of EventBusPostgresTests: consumes the
// consumer group "crash" of the schema $EVENTBUS_SCHEMA and records each event it handles in the
// table `handled` (with $EVENTBUS_INSTANCE), until it is killed.
#if PostgresSupport
    import EventBus
    import EventBusPostgres
    import Foundation
    import PostgresNIO

    /// The test's event (the same name as the test's own type).
    struct Job: Event, Codable {
        static let eventName = "Job"
        let n: Int
    }

    /// Runs until killed.
    func runInstance() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["EVENTBUS_POSTGRES_URL"].flatMap({ URLComponents(string: $0) }),
            let host = url.host, let schema = environment["EVENTBUS_SCHEMA"],
            let instance = environment["EVENTBUS_INSTANCE"]
        else {
            print("needs EVENTBUS_POSTGRES_URL, EVENTBUS_SCHEMA and EVENTBUS_INSTANCE")
            exit(2)
        }
        let database = String(url.path.drop { $0 == "/" })
        let client = PostgresClient(
            configuration: PostgresClient.Configuration(
                host: host,
                port: url.port ?? 5432,
                username: url.user ?? "postgres",
                password: url.password,
                database: database.isEmpty ? nil : database,
                tls: .disable
            )
        )
        Task { await client.run() }
        let store = DurableStore.postgres(
            client,
            schema: schema,
            options: PostgresStoreOptions(batchSize: 16, lease: .seconds(5), pollInterval: .milliseconds(200))
        )
        let bus = Bus()
        try await bus.consume(Job.self, mailbox: .durable(name: "crash", store: store)) { job in
            try await client.query(
                "INSERT INTO \(unescaped: "\"\(schema)\"").handled (n, instance) VALUES (\(job.n), \(instance))"
            )
        }
        print("ready")
        while true { try await Task.sleep(for: .seconds(3600)) }
    }

    try await runInstance()
#else
    print("the PostgreSQL instance needs the trait PostgresSupport")
#endif
