import CommandLineSupport
import Foundation

#if PostgresSupport
    import EventBusPostgres
    import PostgresNIO
#endif

/// `inspect`, `dump`, `requeue`, `remove`, `purge` and `migrate` with `--postgres URL`: the
/// consumer groups of a PostgreSQL schema (``PostgresGroups``), when the tool is built with the
/// trait `PostgresSupport`; without it, a clear error.
///
/// Neither the URL's password nor `PGPASSWORD` is ever printed: the URL is shown as
/// ``PostgresURL/redacted``, and postgres-nio's errors by the server's message only.
enum PostgresTools {
    /// The verbs that take `--postgres URL`.
    static let verbs: Set<String> = ["inspect", "dump", "requeue", "remove", "purge", "migrate"]

    /// Whether `verb` exists only for consumer groups (it then goes here with or without
    /// `--postgres`, and says that it needs it).
    static func only(_ verb: String) -> Bool { verb == "migrate" }

    /// Whether the arguments ask for PostgreSQL: `--postgres URL` or `--postgres=URL`.
    static func isRequested(_ arguments: [String]) -> Bool {
        arguments.contains { $0 == "--postgres" || $0.hasPrefix("--postgres=") }
    }

    static let connection = [
        OptionSpec(
            "--postgres",
            value: "URL",
            help: "postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-full]"
                + " (required; without a password in it, PGPASSWORD's)"
        ),
        OptionSpec("--schema", value: "NAME", help: "the schema of the consumer groups' tables (default: eventbus)"),
    ]
    static let group = OptionSpec("--mailbox", value: "NAME", help: "the consumer group (named like its mailbox)")

    static let specs: [String: CommandSpec] = [
        "inspect": CommandSpec(
            name: "eventbus inspect --postgres",
            summary: "list a schema's consumer groups: their event names, pending events and dead letters",
            options: connection
        ),
        "dump": CommandSpec(
            name: "eventbus dump --postgres",
            summary: "print a consumer group's dead letters (id, event, version, codec, attempts, reason, body) "
                + "and its pending count",
            options: connection + [group, BodyOpener.option]
        ),
        "requeue": CommandSpec(
            name: "eventbus requeue --postgres",
            summary: "move a consumer group's dead letters back to pending, attempts reset (alias: requeue-dead)",
            options: connection + [
                group,
                OptionSpec("--ids", value: "ID,ID,…", help: "only these dead letters (default: all of them)"),
            ]
        ),
        "purge": CommandSpec(
            name: "eventbus purge --postgres",
            summary: "delete a consumer group's pending events and dead letters; the group stays declared, "
                + "so publishes go on storing for it",
            options: connection + [group]
        ),
        "remove": CommandSpec(
            name: "eventbus remove --postgres",
            summary: "undeclare a consumer group (publishes stop storing for it) and delete its pending events "
                + "and dead letters; stop its consumers first",
            options: connection + [group]
        ),
        "migrate": CommandSpec(
            name: "eventbus migrate --postgres",
            summary: "apply the schema's migrations that are not applied yet (idempotent); print its version",
            options: connection
        ),
    ]

    /// Runs `verb` on the consumer groups the arguments name, its lines to `output`.
    /// - Returns: the exit status (0).
    /// - Throws: ``ArgumentError``, ``PostgresURLError``, ``PostgresToolError``.
    static func run(
        _ verb: String,
        _ arguments: [String],
        environment: [String: String],
        output: (String) -> Void
    ) async throws -> Int32 {
        #if PostgresSupport
            guard let spec = specs[verb] else {
                throw ArgumentError.unknownCommand(verb, known: verbs.sorted())
            }
            let parsed = try spec.parse(arguments)
            guard let text = parsed.value("--postgres") else {
                throw ArgumentError.missingArgument("--postgres URL", command: "eventbus \(verb)")
            }
            let url = try PostgresURL(parsing: text, environment: environment)
            let schema = parsed.value("--schema") ?? "eventbus"
            let name = parsed.value("--mailbox")
            if name == nil, spec.options.contains(where: { $0.name == "--mailbox" }) {
                throw ArgumentError.missingArgument("--mailbox NAME", command: "eventbus \(verb)")
            }
            return try await PostgresSession.with(url, schema: schema) { session in
                if verb == "migrate" { return try await session.migrate(output) }
                try await session.requireCurrentSchema()
                guard let name else { return try await session.inspect(output) }
                try await session.requireGroup(name)
                switch verb {
                case "dump":
                    return try await session.dump(name, open: try BodyOpener.make(path: parsed.value("--keys")), output)
                case "requeue": return try await session.requeue(name, ids: ids(parsed.value("--ids")), output)
                case "purge": return try await session.purge(name, output)
                default: return try await session.remove(name, output)
                }
            }
        #else
            throw PostgresToolError.builtWithoutTrait
        #endif
    }

    /// `a,b, c` → `["a", "b", "c"]`; nil → nil (all).
    static func ids(_ list: String?) -> [String]? {
        list.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// Text from the database, one table cell: control characters escaped (`\n`, `\u{7}`), so that
    /// a hostile name cannot break the table or the terminal.
    static func cell(_ text: String) -> String {
        text.unicodeScalars.map {
            $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0)
        }.joined()
    }
}

/// Why a PostgreSQL verb of `eventbus` failed. No description shows a password.
enum PostgresToolError: Error, Equatable, CustomStringConvertible {
    /// This `eventbus` was built without the trait `PostgresSupport`.
    case builtWithoutTrait
    /// No connection to the server (refused, unresolvable host, TLS failed): the URL redacted and
    /// the network's reason.
    case unreachable(url: String, reason: String)
    /// The server refused the login (unknown role or database, wrong password): its message.
    case loginRefused(url: String, reason: String)
    /// A statement failed: the server's message.
    case failed(url: String, reason: String)
    /// The schema has no migrations: no group was ever declared there.
    case noSchema(schema: String, url: String)
    /// The schema's migrations are not the ones this build has.
    case schemaVersion(schema: String, found: Int, known: Int)
    /// No group of that name is declared (nor has rows) in the schema.
    case unknownGroup(String, schema: String, known: [String])
    /// `--ids` named events that are not dead letters of the group.
    case notDeadLetters(group: String, ids: [String])

    var description: String {
        switch self {
        case .builtWithoutTrait:
            "this eventbus was built without the PostgresSupport trait: swift build --traits PostgresSupport"
        case .unreachable(let url, let reason):
            "cannot connect to \(url): \(reason)"
        case .loginRefused(let url, let reason):
            "\(url) refused the connection: \(reason)"
        case .failed(let url, let reason):
            "\(url): \(reason)"
        case .noSchema(let schema, let url):
            "schema \(schema) of \(url) has no consumer groups' tables (a wrong --schema? "
                + "eventbus migrate makes them)"
        case .schemaVersion(let schema, let found, let known) where found < known:
            "schema \(schema) is at version \(found), this eventbus knows \(known): run eventbus migrate first"
        case .schemaVersion(let schema, let found, let known):
            "schema \(schema) is at version \(found), newer than this eventbus (\(known)): use a newer eventbus"
        case .unknownGroup(let group, let schema, let known):
            "no consumer group \"\(PostgresTools.cell(group))\" in schema \(schema)"
                + (known.isEmpty
                    ? " (it has none)" : " (it has: \(known.map(PostgresTools.cell).joined(separator: ", ")))")
        case .notDeadLetters(let group, let ids):
            "not dead letters of \(PostgresTools.cell(group)): \(ids.map(PostgresTools.cell).joined(separator: ", ")) "
                + "(nothing requeued; eventbus dump lists them)"
        }
    }
}

#if PostgresSupport
    /// One verb's connection: a client of the URL's server, and the groups of one schema.
    struct PostgresSession {
        let url: PostgresURL
        let schema: String
        let groups: PostgresGroups

        /// Checks that the server takes the URL's login (a failure is a ``PostgresToolError`` at
        /// once, not the client's retries), then runs `body` with a running client, and shuts it
        /// down. postgres-nio's errors become ``PostgresToolError/failed(url:reason:)``.
        static func with(
            _ url: PostgresURL,
            schema: String,
            _ body: (PostgresSession) async throws -> Int32
        ) async throws -> Int32 {
            try await probe(url)
            let configuration = PostgresClient.Configuration(
                host: url.host,
                port: url.port,
                username: url.user,
                password: url.password,
                database: url.database,
                tls: try clientTLS(url.tlsMode)
            )
            let client = PostgresClient(configuration: configuration)
            return try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await client.run() }
                defer { tasks.cancelAll() }
                do {
                    return try await body(
                        PostgresSession(url: url, schema: schema, groups: PostgresGroups(client, schema: schema))
                    )
                } catch let error as PSQLError {
                    throw PostgresToolError.failed(url: url.redacted, reason: describe(error))
                }
            }
        }

        /// One connection, opened and closed: does the server answer and take the login?
        private static func probe(_ url: PostgresURL) async throws {
            var logger = Logger(label: "eventbus")
            logger.logLevel = .critical
            let configuration = PostgresConnection.Configuration(
                host: url.host,
                port: url.port,
                username: url.user,
                password: url.password,
                database: url.database,
                tls: try connectionTLS(url.tlsMode)
            )
            let connection: PostgresConnection
            do {
                connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            } catch let error as PSQLError where error.code == .server {
                throw PostgresToolError.loginRefused(url: url.redacted, reason: describe(error))
            } catch let error as PSQLError {
                throw PostgresToolError.unreachable(url: url.redacted, reason: describe(error))
            } catch {
                throw PostgresToolError.unreachable(url: url.redacted, reason: String(describing: error))
            }
            try? await connection.close()
        }

        /// libpq's meanings: `prefer` and `require` do not check the certificate, `verify-full` does.
        private static func tlsConfiguration(_ mode: PostgresURL.TLSMode) -> TLSConfiguration {
            var tls = TLSConfiguration.makeClientConfiguration()
            if mode != .verifyFull { tls.certificateVerification = .none }
            return tls
        }

        private static func clientTLS(_ mode: PostgresURL.TLSMode) throws -> PostgresClient.Configuration.TLS {
            switch mode {
            case .disable: .disable
            case .prefer: .prefer(tlsConfiguration(mode))
            case .require, .verifyFull: .require(tlsConfiguration(mode))
            }
        }

        private static func connectionTLS(_ mode: PostgresURL.TLSMode) throws -> PostgresConnection.Configuration.TLS {
            switch mode {
            case .disable: .disable
            case .prefer: .prefer(try NIOSSLContext(configuration: tlsConfiguration(mode)))
            case .require, .verifyFull: .require(try NIOSSLContext(configuration: tlsConfiguration(mode)))
            }
        }

        /// The server's message, detail and SQLSTATE, or the network's error; never the statement's
        /// values or the login.
        static func describe(_ error: PSQLError) -> String {
            PostgresStoreError.describe(error)
        }

        /// Refuses a schema that was never migrated, or whose migrations are not this build's.
        func requireCurrentSchema() async throws {
            guard let version = try await groups.schemaVersion() else {
                throw PostgresToolError.noSchema(schema: schema, url: url.redacted)
            }
            guard version == PostgresGroups.latestVersion else {
                throw PostgresToolError.schemaVersion(
                    schema: schema,
                    found: version,
                    known: PostgresGroups.latestVersion
                )
            }
        }

        /// Refuses a group that is not declared and has no rows.
        func requireGroup(_ name: String) async throws {
            let declared = Set(try await groups.declared().map(\.group))
            if declared.contains(name) { return }
            // Undeclared, but with rows left (a remove that failed half-way): still the group's.
            if try await groups.pending(group: name) > 0 { return }
            if try await !groups.deadLetters(group: name).isEmpty { return }
            throw PostgresToolError.unknownGroup(name, schema: schema, known: declared.sorted())
        }

        func inspect(_ output: (String) -> Void) async throws -> Int32 {
            let declared = try await groups.declared()
            guard !declared.isEmpty else {
                output("no consumer groups in schema \(schema) of \(url)")
                return 0
            }
            var names: [String] = []
            var events: [String: [String]] = [:]
            for (group, eventName) in declared {
                if events[group] == nil { names.append(group) }
                events[group, default: []].append(eventName)
            }
            var rows = [["group", "events", "pending", "dead"]]
            for name in names {
                rows.append([
                    PostgresTools.cell(name),
                    (events[name] ?? []).map(PostgresTools.cell).joined(separator: ", "),
                    String(try await groups.pending(group: name)),
                    String(try await groups.deadLetters(group: name).count),
                ])
            }
            output(TextTable.render(rows))
            output("\(names.count) consumer groups in schema \(schema) of \(url)")
            return 0
        }

        func dump(_ group: String, open: BodyOpener.Open?, _ output: (String) -> Void) async throws -> Int32 {
            let letters = try await groups.storedDeadLetters(group: group)
            let pending = try await groups.pending(group: group)
            if !letters.isEmpty {
                output(TextTable.render(DeadLetterRows.rows(letters, open: open)))
            }
            output("\(PostgresTools.cell(group)): \(pending) pending, \(letters.count) dead letters")
            return 0
        }

        func requeue(_ group: String, ids: [String]?, _ output: (String) -> Void) async throws -> Int32 {
            if let ids {
                let dead = Set(try await groups.deadLetters(group: group).map(\.eventID))
                let missing = ids.filter { !dead.contains($0) }
                guard missing.isEmpty else { throw PostgresToolError.notDeadLetters(group: group, ids: missing) }
            }
            let count = try await groups.requeue(group: group, ids: ids)
            output("requeued \(count) dead letters of consumer group \(PostgresTools.cell(group)) (schema \(schema))")
            return 0
        }

        func purge(_ group: String, _ output: (String) -> Void) async throws -> Int32 {
            let deleted = try await groups.purge(group: group)
            output(
                "purged consumer group \(PostgresTools.cell(group)) (schema \(schema)): deleted \(deleted.pending) "
                    + "pending events and \(deleted.deadLetters) dead letters; it stays declared, so publishes go on "
                    + "storing for it (eventbus remove undeclares it)"
            )
            return 0
        }

        func remove(_ group: String, _ output: (String) -> Void) async throws -> Int32 {
            let deleted = try await groups.remove(group: group)
            output(
                "removed consumer group \(PostgresTools.cell(group)) (schema \(schema)): no longer declared, "
                    + "\(deleted.pending) pending events and \(deleted.deadLetters) dead letters deleted"
            )
            return 0
        }

        func migrate(_ output: (String) -> Void) async throws -> Int32 {
            let before = try await groups.schemaVersion() ?? 0
            let known = PostgresGroups.latestVersion
            guard before <= known else {
                throw PostgresToolError.schemaVersion(schema: schema, found: before, known: known)
            }
            let after = try await groups.migrate()
            output(
                before == after
                    ? "schema \(schema) of \(url) is at version \(after): nothing to apply"
                    : "schema \(schema) of \(url): migrated from version \(before) to \(after)"
            )
            return 0
        }
    }
#endif
