// swift-tools-version: 6.2
import PackageDescription

/// Strict settings shared by every target.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Public library modules additionally make a missing `Sendable` annotation an error.
let publicModule: [SwiftSetting] = strict + [.treatWarning("ExplicitSendable", as: .error)]

let examples = ["OrderService", "HelloQueue", "Emitter", "AsyncPipeline", "Telemetry", "RollingDeploy"]

// Server integrations: each behind a trait that is off by default, so a default build fetches no
// package. `swift build --traits ServerIntegrations` turns on all four.
let logging = TargetDependencyCondition.when(traits: ["LoggingSupport"])
let metrics = TargetDependencyCondition.when(traits: ["MetricsSupport"])
let tracing = TargetDependencyCondition.when(traits: ["TracingSupport"])
let lifecycle = TargetDependencyCondition.when(traits: ["ServiceLifecycleSupport"])
let loggingOrLifecycle = TargetDependencyCondition.when(traits: ["LoggingSupport", "ServiceLifecycleSupport"])
let postgres = TargetDependencyCondition.when(traits: ["PostgresSupport"])
let encryption = TargetDependencyCondition.when(traits: ["EncryptionSupport"])
let dashboard = TargetDependencyCondition.when(traits: ["DashboardSupport"])

let package = Package(
    name: "EventBus",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "EventBus", targets: ["EventBus"]),
        .library(name: "EventBusTesting", targets: ["EventBusTesting"]),
        .executable(name: "eventbus", targets: ["EventBusCLI"]),
        // The hand-written flag parser, a product so that the nested Benchmarks package can use it.
        .library(name: "CommandLineSupport", targets: ["CommandLineSupport"]),
        // Consumer groups on PostgreSQL: empty unless the trait PostgresSupport is on.
        .library(name: "EventBusPostgres", targets: ["EventBusPostgres"]),
        // The encrypting codec and its key ring: empty unless the trait EncryptionSupport is on.
        .library(name: "EventBusEncryption", targets: ["EventBusEncryption"]),
        // The operator's dashboard: its framework-free core always; the Hummingbird adapter with
        // the trait DashboardSupport.
        .library(name: "EventBusDashboard", targets: ["EventBusDashboard"]),
    ] + examples.map { .executable(name: $0, targets: [$0]) },
    // Off by default: a default build fetches no package (trait-guarded dependencies are pruned).
    traits: [
        .trait(name: "LoggingSupport", description: "swift-log: the bus logs through a Logger it is given"),
        .trait(name: "MetricsSupport", description: "swift-metrics: per-mailbox metrics with OpenTelemetry names"),
        .trait(name: "TracingSupport", description: "swift-distributed-tracing: trace context in event headers"),
        .trait(name: "ServiceLifecycleSupport", description: "swift-service-lifecycle: Bus is a Service"),
        .trait(
            name: "ServerIntegrations",
            description: "All four server integrations",
            enabledTraits: ["LoggingSupport", "MetricsSupport", "TracingSupport", "ServiceLifecycleSupport"]
        ),
        .trait(
            name: "PostgresSupport",
            description: "Durable mailboxes as consumer groups on PostgreSQL (module EventBusPostgres, postgres-nio)"
        ),
        .trait(
            name: "EncryptionSupport",
            description:
                "AES-GCM encryption of stored event bodies with a key ring (module EventBusEncryption, swift-crypto)"
        ),
        .trait(
            name: "DashboardSupport",
            description: "The dashboard in a browser, mounted in a Hummingbird application and `eventbus dashboard`"
        ),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The version postgres-nio 1.33.2 resolves, so that a build with both traits builds it once.
        .package(url: "https://github.com/apple/swift-crypto.git", "4.5.2"..<"5.0.0"),
        // The version and traits the ShopServer example uses (no swift-configuration).
        .package(
            url: "https://github.com/hummingbird-project/hummingbird.git",
            from: "2.28.1",
            traits: ["FullFoundation"]
        ),
        // What the dashboard's Hummingbird adapter names itself (Hummingbird depends on both).
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // CRC-32C with the CPU's instructions (the log's record checksums); C, from the toolchain.
        .target(name: "CEventQueueCRC"),
        // The durable file log: segments, format, checksums, index, inspector, the file-system seam.
        .target(name: "EventLog", dependencies: ["CEventQueueCRC"], swiftSettings: publicModule),
        // The in-process queue core: nothing of Bus.
        .target(name: "EventQueue", dependencies: ["EventLog"], swiftSettings: publicModule),
        .target(
            name: "EventBus",
            dependencies: [
                "EventQueue", "EventLog",
                .product(name: "Logging", package: "swift-log", condition: logging),
                .product(name: "CoreMetrics", package: "swift-metrics", condition: metrics),
                .product(name: "Tracing", package: "swift-distributed-tracing", condition: tracing),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: lifecycle),
            ],
            swiftSettings: publicModule
        ),
        // Code for tests only (simulated file system, power-loss checker, manual clock): used by the
        // test targets, the test kit and the CLI; never by the EventBus library product.
        .target(name: "EventBusTestSupport", dependencies: ["EventQueue", "EventLog"], swiftSettings: publicModule),
        .target(
            name: "EventBusTesting",
            dependencies: ["EventBus", "EventQueue", "EventLog", "EventBusTestSupport"],
            swiftSettings: publicModule
        ),
        .target(name: "CommandLineSupport", swiftSettings: strict),
        // PostgreSQL consumer groups; every file is inside `#if PostgresSupport`.
        .target(
            name: "EventBusPostgres",
            dependencies: [
                "EventBus", "EventQueue", "EventLog",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
            ],
            swiftSettings: publicModule
        ),
        // Encrypted stored bodies; every file is inside `#if EncryptionSupport`.
        .target(
            name: "EventBusEncryption",
            dependencies: [
                "EventBus", "EventLog",
                .product(name: "Crypto", package: "swift-crypto", condition: encryption),
            ],
            swiftSettings: publicModule
        ),
        // The dashboard: the snapshot model, the sampler, the page, the JSON and the actions as plain
        // functions (no server framework); with the trait DashboardSupport, the Hummingbird adapter.
        .target(
            name: "EventBusDashboard",
            dependencies: [
                "EventBus", "EventQueue", "EventLog",
                .product(name: "Hummingbird", package: "hummingbird", condition: dashboard),
                .product(name: "HTTPTypes", package: "swift-http-types", condition: dashboard),
                .product(name: "NIOCore", package: "swift-nio", condition: dashboard),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: dashboard),
            ],
            swiftSettings: publicModule
        ),
        // `eventbus`; with the trait PostgresSupport its verbs also take `--postgres URL`; with
        // DashboardSupport it has `eventbus dashboard`.
        .executableTarget(
            name: "EventBusCLI",
            dependencies: [
                "EventBus", "EventQueue", "EventLog", "EventBusTestSupport", "CommandLineSupport",
                "EventBusDashboard",
                .target(name: "EventBusPostgres", condition: postgres),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
                // `dump --keys FILE` opens encrypted bodies.
                .target(name: "EventBusEncryption", condition: encryption),
                .product(name: "Hummingbird", package: "hummingbird", condition: dashboard),
                .product(name: "Logging", package: "swift-log", condition: dashboard),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EventQueueTests",
            dependencies: ["EventQueue", "EventLog", "EventBusTestSupport", "CommandLineSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EventBusTests",
            dependencies: [
                "EventBus", "EventQueue", "EventLog", "EventBusTestSupport", "EventBusTesting", "CommandLineSupport",
                // `@testable import EventBusCLI`: the tool's verbs, run in-process.
                "EventBusCLI",
            ],
            swiftSettings: strict
        ),
        // The encrypting codec's tests: every file is `#if EncryptionSupport`, so with the trait off
        // the target compiles to nothing.
        .testTarget(
            name: "EventBusEncryptionTests",
            dependencies: [
                "EventBus", "EventLog", "EventBusTestSupport", "CommandLineSupport", "EventBusCLI",
                .target(name: "EventBusEncryption", condition: encryption),
                .product(name: "Crypto", package: "swift-crypto", condition: encryption),
            ],
            swiftSettings: strict
        ),
        // The server integrations' tests: every file is `#if …Support`, so with the traits off the
        // target compiles to nothing and plain `swift test` runs the rest.
        .testTarget(
            name: "ServerIntegrationTests",
            dependencies: [
                "EventBus", "EventQueue", "EventLog", "EventBusTestSupport",
                // The service tests make a `ServiceGroup`, which takes a `Logger`.
                .product(name: "Logging", package: "swift-log", condition: loggingOrLifecycle),
                .product(name: "InMemoryLogging", package: "swift-log", condition: logging),
                .product(name: "CoreMetrics", package: "swift-metrics", condition: metrics),
                .product(name: "MetricsTestKit", package: "swift-metrics", condition: metrics),
                .product(name: "Tracing", package: "swift-distributed-tracing", condition: tracing),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing", condition: tracing),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: lifecycle),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle", condition: lifecycle),
            ],
            swiftSettings: strict
        ),
        // A bus in a ServiceGroup that drains on SIGTERM: the child process of the SIGTERM test, and
        // an example. Without the trait it says so and exits.
        .executableTarget(
            name: "GracefulShutdown",
            dependencies: [
                "EventBus",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: lifecycle),
                .product(name: "UnixSignals", package: "swift-service-lifecycle", condition: lifecycle),
                .product(name: "Logging", package: "swift-log", condition: lifecycle),
            ],
            path: "Examples/GracefulShutdown",
            swiftSettings: strict
        ),
        // One server instance for the multi-process tests of EventBusPostgresTests (a consumer of a
        // group or a stored queue, a responder, a broadcast listener; killed with SIGKILL by the
        // tests); prints a line without the trait.
        .executableTarget(
            name: "PostgresInstance",
            dependencies: [
                "EventBus", "EventBusPostgres", "CommandLineSupport",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
            ],
            path: "Tests/PostgresInstance",
            swiftSettings: strict
        ),
        // The dashboard: rendering, sampling and actions always; over live HTTP (mounted in a
        // Hummingbird application, and `eventbus dashboard`) with the trait DashboardSupport.
        .testTarget(
            name: "EventBusDashboardTests",
            dependencies: [
                "EventBus", "EventQueue", "EventLog", "EventBusDashboard", "EventBusTestSupport", "EventBusCLI",
                "CommandLineSupport",
                .product(name: "Hummingbird", package: "hummingbird", condition: dashboard),
                .product(name: "HummingbirdTesting", package: "hummingbird", condition: dashboard),
                // `eventbus dashboard --postgres`: its source over consumer groups, on a real server.
                .target(name: "EventBusPostgres", condition: postgres),
                .target(name: "PostgresFixtures", condition: postgres),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
            ],
            swiftSettings: strict
        ),
        // What the PostgreSQL tests share (the server's URL, a fresh schema per test, waits): a
        // target for tests only, never a dependency of a library product; empty without the trait.
        .target(
            name: "PostgresFixtures",
            dependencies: [
                "EventBus", "EventBusPostgres", "CommandLineSupport",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
            ],
            path: "Tests/PostgresFixtures",
            swiftSettings: strict
        ),
        // The bus across instances on PostgreSQL: `bash Examples/Cluster/run` (trait PostgresSupport;
        // without it, it says so and exits).
        .executableTarget(
            name: "Cluster",
            dependencies: [
                "EventBus", "CommandLineSupport",
                .target(name: "EventBusPostgres", condition: postgres),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
            ],
            path: "Examples/Cluster",
            exclude: ["run"],
            swiftSettings: strict
        ),
        // Against a real server: skipped, with the reason, unless EVENTBUS_POSTGRES_URL is set (and
        // the trait is on). `.ci/postgres start` starts one.
        .testTarget(
            name: "EventBusPostgresTests",
            dependencies: [
                "EventBus", "EventQueue", "EventLog", "EventBusPostgres", "EventBusCLI", "CommandLineSupport",
                "PostgresFixtures",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
            ],
            swiftSettings: strict
        ),
        // One parameterized test per behaviour (acknowledgement, visibility timeout, retry, backoff,
        // dead letters, requeue, dedup, delayed delivery, lanes, draining shutdown), run against every
        // kind of mailbox: in memory, durable on the local log, and — with the trait and a server — a
        // PostgreSQL consumer group.
        .testTarget(
            name: "MailboxBehaviourTests",
            dependencies: [
                "EventBus", "EventQueue", "EventLog", "EventBusTestSupport", "EventBusTesting", "CommandLineSupport",
                .target(name: "EventBusPostgres", condition: postgres),
                .target(name: "PostgresFixtures", condition: postgres),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: postgres),
                // With EncryptionSupport too: encrypted rows.
                .target(name: "EventBusEncryption", condition: encryption),
                .product(name: "Crypto", package: "swift-crypto", condition: encryption),
            ],
            swiftSettings: strict
        ),
    ]
        + examples.map {
            .executableTarget(
                name: $0,
                dependencies: [
                    "EventBus", "CommandLineSupport",
                    // RollingDeploy's encrypted part, with the trait.
                    .target(name: "EventBusEncryption", condition: encryption),
                ],
                path: "Examples/\($0)",
                swiftSettings: strict
            )
        }
)
