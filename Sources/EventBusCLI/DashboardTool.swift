import CommandLineSupport
import EventBusDashboard
import Foundation

#if DashboardSupport
    import Hummingbird
    import Logging
#endif

/// `eventbus dashboard`: the dashboard over the durable mailboxes of local directories (and,
/// with `--postgres`, a schema's consumer groups), served by Hummingbird on loopback. It reads
/// the files; it acts only on mailboxes no process holds, for whoever has the token it prints.
/// Without the trait `DashboardSupport`, a clear error.
enum DashboardTool {
    static let spec = CommandSpec(
        name: "eventbus dashboard",
        summary: "serve the dashboard of the durable mailboxes under DIR… (and/or --postgres consumer groups)",
        positionals: ["DIR..."],
        options: [
            OptionSpec(
                "--hostname",
                value: "HOST",
                help: "address to listen on (default 127.0.0.1: this machine only)"
            ),
            OptionSpec("--port", value: "PORT", help: "port to listen on, 0 for any free port (default 8081)"),
            OptionSpec(
                "--token",
                value: "TOKEN",
                help: "the access token (default: EVENTBUS_DASHBOARD_TOKEN, else a random one, printed)"
            ),
            OptionSpec("--show-bodies", help: "show dead letters' bodies (they may carry personal data)"),
            OptionSpec(
                "--postgres",
                value: "URL",
                help: "also the consumer groups of this database (built with --traits PostgresSupport)"
            ),
            OptionSpec("--schema", value: "NAME", help: "the consumer groups' schema (default: eventbus)"),
        ]
    )

    /// What the command line asks for.
    struct Settings: Equatable {
        var directories: [String]
        var hostname = "127.0.0.1"
        var port = 8081
        var token: String
        var showBodies = false
        var postgres: String?
        var schema = "eventbus"

        /// The dashboard's options for these settings.
        var options: DashboardOptions {
            var options = DashboardOptions()
            options.title = "EventBus — eventbus dashboard"
            options.accessToken = token
            options.showBodies = showBodies
            // The page reads the files again this often (as `eventbus inspect` does, each time).
            options.sampleInterval = .seconds(10)
            return options
        }
    }

    /// Reads the settings.
    /// - Throws: ``ArgumentError``.
    static func settings(_ arguments: [String], environment: [String: String]) throws(ArgumentError) -> Settings {
        let parsed = try spec.parse(arguments)
        guard !parsed.positionals.isEmpty || parsed.value("--postgres") != nil else {
            throw .missingArgument("DIR (or --postgres URL)", command: spec.name)
        }
        let token = parsed.value("--token") ?? environment["EVENTBUS_DASHBOARD_TOKEN"] ?? Dashboard.makeToken()
        guard token.count >= 16 else {
            throw .invalidValue("--token", value: "…", expected: "a secret of at least 16 characters")
        }
        var settings = Settings(directories: parsed.positionals, token: token)
        settings.hostname = parsed.value("--hostname") ?? settings.hostname
        settings.port = try parsed.int("--port", default: settings.port, in: 0...65_535)
        settings.showBodies = parsed.has("--show-bodies")
        settings.postgres = parsed.value("--postgres")
        settings.schema = parsed.value("--schema") ?? settings.schema
        return settings
    }

    /// The line printed when the server listens: where to log in (the token is in it).
    static func banner(_ settings: Settings, port: Int) -> String {
        let host = settings.hostname.contains(":") ? "[\(settings.hostname)]" : settings.hostname
        return "eventbus dashboard: open http://\(host):\(port)/login?token=\(settings.token)\n"
            + "  (read from storage: live rates and charts come from the dashboard mounted in the application)"
    }

    /// Serves the dashboard until SIGINT or SIGTERM.
    static func run(
        _ arguments: [String],
        environment: [String: String],
        output: @escaping @Sendable (String) -> Void
    ) async throws -> Int32 {
        #if DashboardSupport
            let settings = try settings(arguments, environment: environment)
            #if PostgresSupport
                if let text = settings.postgres {
                    let url = try PostgresURL(parsing: text, environment: environment)
                    return try await PostgresSession.with(url, schema: settings.schema) { session in
                        try await session.requireCurrentSchema()
                        let source = StoredDashboardSource(directories: settings.directories, groups: session.groups)
                        try await serve(source, settings: settings, output: output)
                        return 0
                    }
                }
            #else
                if settings.postgres != nil { throw PostgresToolError.builtWithoutTrait }
            #endif
            try await serve(
                StoredDashboardSource(directories: settings.directories),
                settings: settings,
                output: output
            )
            return 0
        #else
            throw DashboardToolError.builtWithoutTrait
        #endif
    }

    #if DashboardSupport
        /// The HTTP server of a dashboard over `source`, at the root of the address `settings` names.
        static func application(
            _ source: StoredDashboardSource,
            settings: Settings,
            output: @escaping @Sendable (String) -> Void
        ) -> some ApplicationProtocol {
            let dashboard = Dashboard(source: source, options: settings.options)
            let router = Router()
            router.addRoutes(dashboard.routes(), atPath: "/")
            var logger = Logger(label: "eventbus dashboard")
            logger.logLevel = .warning
            return Application(
                router: router,
                configuration: .init(
                    address: .hostname(settings.hostname, port: settings.port),
                    serverName: "eventbus dashboard"
                ),
                onServerRunning: { channel in
                    output(banner(settings, port: channel.localAddress?.port ?? settings.port))
                },
                logger: logger
            )
        }

        private static func serve(
            _ source: StoredDashboardSource,
            settings: Settings,
            output: @escaping @Sendable (String) -> Void
        ) async throws {
            try await application(source, settings: settings, output: output).runService()
        }
    #endif
}
