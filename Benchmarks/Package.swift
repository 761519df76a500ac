// swift-tools-version: 6.2
import PackageDescription

/// The benchmarks of EventBus, in a package of their own so that they may depend on packages
/// the root package must not. They see EventBus as a user does: its public API only.
///
///     swift run -c release --package-path Benchmarks eventbus-bench [--quick] [--json] [--filter TEXT] [--dir PATH]
let package = Package(
    name: "EventBusBenchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "eventbus-bench", targets: ["EventBusBench"])
    ],
    dependencies: [
        // The checkout this package sits in, whatever its folder is called.
        .package(name: "EventBus", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "EventBusBench",
            dependencies: [
                .product(name: "EventBus", package: "EventBus"),
                .product(name: "CommandLineSupport", package: "EventBus"),
            ],
            swiftSettings: [
                .swiftLanguageMode(.v6),
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        )
    ]
)
