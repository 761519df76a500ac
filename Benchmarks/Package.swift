// swift-tools-version: 6.2
import PackageDescription

/// The benchmarks of EventBus, in a package of their own so that they may depend on the peers
/// they are measured against (swift-async-algorithms, OpenCombine), which the root package must
/// not. They see EventBus as a user does: its public API only. The root package is used with its
/// trait PostgresSupport (the `pg-` rows: consumer groups on PostgreSQL, and the same SQL written
/// directly against postgres-nio; those rows run only when EVENTBUS_POSTGRES_URL is set) and its
/// trait EncryptionSupport (the `codec-aes-gcm` rows).
///
///     swift run -c release --package-path Benchmarks eventbus-bench [--quick] [--json] [--filter TEXT] [--dir PATH]
///
/// Allocations per event (a separate build: the interposer replaces malloc for the whole process):
///
///     swift run -c release --package-path Benchmarks --scratch-path Benchmarks/.build-allocations \
///         --traits Allocations eventbus-bench --allocations
let package = Package(
    name: "EventBusBenchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "eventbus-bench", targets: ["EventBusBench"])
    ],
    traits: [
        .trait(
            name: "Allocations",
            description: "Link ordo-one/malloc-interposer for `eventbus-bench --allocations` (off: it slows every row)"
        )
    ],
    dependencies: [
        // The checkout this package sits in, whatever its folder is called.
        .package(name: "EventBus", path: "..", traits: ["PostgresSupport", "EncryptionSupport"]),
        .package(url: "https://github.com/apple/swift-async-algorithms", from: "1.1.4"),
        .package(url: "https://github.com/OpenCombine/OpenCombine", from: "0.14.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Only with the trait Allocations (`--allocations`): it replaces malloc for the whole process.
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
    ],
    targets: [
        .executableTarget(
            name: "EventBusBench",
            dependencies: [
                .product(name: "EventBus", package: "EventBus"),
                .product(name: "CommandLineSupport", package: "EventBus"),
                .product(name: "EventBusPostgres", package: "EventBus"),
                .product(name: "EventBusEncryption", package: "EventBus"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "OpenCombine", package: "OpenCombine"),
                .product(
                    name: "MallocInterposerSwift",
                    package: "malloc-interposer",
                    condition: .when(traits: ["Allocations"])
                ),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        )
    ]
)
