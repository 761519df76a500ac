#if PostgresSupport
    import EventBus
    import Foundation
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// The server the tests use: `EVENTBUS_POSTGRES_URL` (postgres://user[:password]@host:port/database).
    enum PostgresTestSupport {
        static let url = ProcessInfo.processInfo.environment["EVENTBUS_POSTGRES_URL"]

        /// Whether a server is configured.
        static var isConfigured: Bool { url != nil }

        /// The reason printed for a skipped test.
        static let skipReason: Comment = "EVENTBUS_POSTGRES_URL is not set (start a server with .ci/postgres start)"

        /// The same server through PgBouncer in transaction pool mode: `EVENTBUS_PGBOUNCER_URL`
        /// (`.ci/postgres start` starts one too).
        static let pgbouncerURL = ProcessInfo.processInfo.environment["EVENTBUS_PGBOUNCER_URL"]

        /// The reason printed for a skipped PgBouncer test.
        static let pgbouncerSkipReason: Comment =
            "EVENTBUS_PGBOUNCER_URL is not set (.ci/postgres start starts PgBouncer in transaction mode too)"

        /// The client configuration from the URL (EVENTBUS_POSTGRES_URL unless given).
        static func configuration(url: String? = url) throws -> PostgresClient.Configuration {
            guard let url, let components = URLComponents(string: url), let host = components.host else {
                throw PostgresStoreError.invalidSchema("the test's URL is not a postgres:// URL")
            }
            let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
            return PostgresClient.Configuration(
                host: host,
                port: components.port ?? 5432,
                username: components.user ?? "postgres",
                password: components.password,
                database: database.isEmpty ? nil : database,
                tls: .disable
            )
        }

        /// A schema of its own for each test: `t_` and 16 random hex digits.
        static func freshSchema() -> String {
            "t_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        }

        /// Runs `body` with a running client and a fresh schema, drops the schema, and shuts the
        /// client down.
        static func withClient<T: Sendable>(
            _ body: @Sendable (PostgresClient, String) async throws -> T
        ) async throws -> T {
            let client = PostgresClient(configuration: try configuration())
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                let schema = freshSchema()
                let result = try await body(client, schema)
                // Only when the test passed: a failed test's tables stay for a look.
                try await client.query("DROP SCHEMA IF EXISTS \(unescaped: schema) CASCADE")
                return result
            }
        }

        /// Waits (polling, without a time assertion: the test's time limit bounds it) until `done`.
        static func eventually(_ done: @Sendable () async throws -> Bool) async throws {
            while try await !done() {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// What handlers saw, for assertions.
    actor Recorder {
        private(set) var ids: [Int] = []
        private(set) var calls = 0

        func record(_ id: Int) {
            ids.append(id)
            calls += 1
        }

        func called() { calls += 1 }

        var count: Int { ids.count }
    }

    /// The test event.
    struct OrderPlaced: Event, Codable {
        let id: Int
    }

    /// Another event type.
    struct ParcelShipped: Event, Codable {
        let id: Int
    }

    /// An event whose name would break a statement that spliced it in.
    struct Hostile: Event, Codable {
        static let eventName = "x'); DROP TABLE groups; -- \"quoted\" $1"
        let id: Int
    }
#endif
