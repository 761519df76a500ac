#if PostgresSupport
    import CommandLineSupport
    import EventBus
    import EventBusPostgres
    import Foundation
    import PostgresNIO
    import Testing

    /// The server the PostgreSQL tests use: `EVENTBUS_POSTGRES_URL` (postgres://user[:password]@host:port/database),
    /// and what they share: a fresh schema per test, a client that runs for the test, waits.
    public enum PostgresTestSupport {
        /// `EVENTBUS_POSTGRES_URL`, nil when unset.
        public static let url = ProcessInfo.processInfo.environment["EVENTBUS_POSTGRES_URL"]

        /// Whether a server is configured.
        public static var isConfigured: Bool { url != nil }

        /// Why a PostgreSQL test is skipped when no server is configured.
        public static let skipReason: Comment =
            "EVENTBUS_POSTGRES_URL is not set (start a server with .ci/postgres start)"

        /// The same server through PgBouncer in transaction pool mode: `EVENTBUS_PGBOUNCER_URL`
        /// (`.ci/postgres start` starts one too).
        public static let pgbouncerURL = ProcessInfo.processInfo.environment["EVENTBUS_PGBOUNCER_URL"]

        /// Why the PgBouncer test is skipped when no pooler is configured.
        public static let pgbouncerSkipReason: Comment =
            "EVENTBUS_PGBOUNCER_URL is not set (.ci/postgres start starts PgBouncer in transaction mode too)"

        /// The client configuration for `url` (EVENTBUS_POSTGRES_URL unless given), parsed by the
        /// CLI's tested ``PostgresURL`` (the test servers use no TLS).
        public static func configuration(url: String? = url) throws -> PostgresClient.Configuration {
            guard let url else { throw PostgresStoreError.invalidSchema("EVENTBUS_POSTGRES_URL is not set") }
            let parsed = try PostgresURL(parsing: url, environment: ProcessInfo.processInfo.environment)
            return PostgresClient.Configuration(
                host: parsed.host,
                port: parsed.port,
                username: parsed.user,
                password: parsed.password,
                database: parsed.database,
                tls: .disable
            )
        }

        /// A schema of its own for each test: `t_` and 16 random hex digits.
        public static func freshSchema() -> String {
            "t_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        }

        /// Runs `body` with a running client and a fresh schema, drops the schema (only when the
        /// body succeeded: a failed test's tables stay for a look), and shuts the client down.
        public static func withClient<T: Sendable>(
            _ body: @Sendable (PostgresClient, String) async throws -> T
        ) async throws -> T {
            let client = PostgresClient(configuration: try configuration())
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                let schema = freshSchema()
                let result = try await body(client, schema)
                try await client.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE")
                return result
            }
        }

        /// Waits (polling, without a time assertion: the test's time limit bounds it) until `done`.
        /// Wait for the condition the next assertion needs, not for one that comes earlier.
        public static func eventually(_ done: @Sendable () async throws -> Bool) async throws {
            while try await !done() {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }
#endif
