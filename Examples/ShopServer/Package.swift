// swift-tools-version: 6.2
// A small shop on Hummingbird with the event bus beside it: the server example of EventBus.
// A nested package, so that the root package never fetches Hummingbird by default: it depends on
// the root by path with the traits ServerIntegrations (ServiceLifecycle, swift-log, swift-metrics,
// tracing) and DashboardSupport (the dashboard at /eventbus, on the same Hummingbird).
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "ShopServer",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "ShopServer", targets: ["ShopServer"])],
    dependencies: [
        .package(name: "EventBus", path: "../..", traits: ["ServerIntegrations", "DashboardSupport"]),
        // swift-configuration is not needed: only Hummingbird's FullFoundation trait.
        .package(
            url: "https://github.com/hummingbird-project/hummingbird.git",
            from: "2.28.1",
            traits: ["FullFoundation"]
        ),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // The shop: events, handlers, the ledger, the HTTP routes (a library, so that tests use it).
        .target(
            name: "Shop",
            dependencies: [
                .product(name: "EventBus", package: "EventBus"),
                .product(name: "EventBusDashboard", package: "EventBus"),
                .product(name: "CommandLineSupport", package: "EventBus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "ShopServer", dependencies: ["Shop"], swiftSettings: strict),
        .testTarget(
            name: "ShopTests",
            dependencies: [
                "Shop",
                .product(name: "CommandLineSupport", package: "EventBus"),
                .product(name: "EventBusDashboard", package: "EventBus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
    ]
)
