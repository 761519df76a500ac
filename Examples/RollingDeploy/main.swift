// RollingDeploy — durable events that outlive a deploy: three builds of one event type, a
// rollback, and (with the trait EncryptionSupport) bodies nobody else can read.
//
// Build 1 stores orders with `customer` and a `total` like "12.50 EUR". Build 2 renamed
// `customer` to `customerID`; build 3 split `total` into `amount` and `currency` and added
// `giftWrap` (false before). Each build is its own Swift type with the same event name and a
// higher schema version; the newest reads everything through its upcasters. A rollback to build 2
// meets an order of build 3: it is kept and reported (a dead letter, "unknown version"), never
// decoded with the wrong shape, and requeued once build 3 runs again.
//
//     swift run RollingDeploy
//     swift run --traits EncryptionSupport RollingDeploy   # and the encrypted part
import CommandLineSupport
import EventBus
import Foundation

#if EncryptionSupport
    import EventBusEncryption
#endif

enum Build1 {
    struct OrderPlaced: Event, Codable {
        static let eventName = "shop.order-placed"
        let id: Int
        let customer: String
        let total: String
    }
}

enum Build2 {
    struct OrderPlaced: Event, Codable {
        static let eventName = "shop.order-placed"
        static let schemaVersion = 2
        // Rename a field.
        static let upcasters = [JSONUpcaster(from: 1) { order in order.rename("customer", to: "customerID") }]
        let id: Int
        let customerID: String
        let total: String
    }
}

enum Build3 {
    struct OrderPlaced: Event, Codable {
        static let eventName = "shop.order-placed"
        static let schemaVersion = 3
        static let upcasters = [
            JSONUpcaster(from: 1) { order in order.rename("customer", to: "customerID") },
            // Split a field, and add one with a default.
            JSONUpcaster(from: 2) { order in
                let parts = (order.removeValue(forKey: "total")?.stringValue ?? "").split(separator: " ")
                order["amount"] = .string(parts.first.map(String.init) ?? "0")
                order["currency"] = .string(parts.count > 1 ? String(parts[1]) : "EUR")
                order["giftWrap"] = order["giftWrap"] ?? false
            },
        ]
        let id: Int
        let customerID: String
        let amount: String
        let currency: String
        let giftWrap: Bool
    }
}

let spec = CommandSpec(
    name: "swift run RollingDeploy",
    summary: "three builds of one durable event type, a rollback, and encrypted bodies (EncryptionSupport)"
)

/// Opens the mailbox with build `E`, delivers `count` events (acknowledged), prints them, and stops.
func run<E: Event>(
    _ build: String,
    _ type: E.Type,
    _ mailbox: Mailbox,
    codec: (any EventCodec<E>)? = nil,
    publish: [E] = [],
    deliver count: Int,
    then: @Sendable (Bus) async throws -> Void = { _ in }
) async throws {
    let bus = Bus()
    let orders = try await bus.subscribe(
        E.self,
        mailbox: mailbox,
        acknowledgement: .manual(visibilityTimeout: nil),
        codec: codec
    )
    for order in publish { try await bus.publish(order) }
    var iterator = orders.makeAsyncIterator()
    for _ in 0..<count {
        guard let delivery = try await iterator.next() else { break }
        print("  \(build) handles \(delivery.event)")
        try await delivery.ack()
    }
    for letter in try await bus.deadLetters(of: mailbox) {
        print(
            "  \(build) keeps dead letter \(letter.id): \(letter.eventName) v\(letter.schemaVersion) (\(letter.reason))"
        )
    }
    try await then(bus)
    await bus.shutdown(draining: .zero)
}

await CommandExit.run("rollingdeploy") {
    _ = try spec.parse(Array(CommandLine.arguments.dropFirst()))
    let scratch = try ScratchDirectory.create(prefix: "rollingdeploy")
    defer { scratch.remove() }
    let mailbox = Mailbox.durable(name: "orders", directory: scratch.path, sync: .none)

    print("build 1 stores an order; builds 2 and 3 store one each, nobody handles them yet")
    try await run(
        "build 1",
        Build1.OrderPlaced.self,
        mailbox,
        publish: [.init(id: 1, customer: "ada", total: "12.50 EUR")],
        deliver: 0
    )
    try await run(
        "build 2",
        Build2.OrderPlaced.self,
        mailbox,
        publish: [.init(id: 2, customerID: "bob", total: "3 USD")],
        deliver: 0
    )
    print("build 3 reads all three: versions 1 and 2 through its upcasters")
    try await run(
        "build 3",
        Build3.OrderPlaced.self,
        mailbox,
        publish: [.init(id: 3, customerID: "cy", amount: "7", currency: "CHF", giftWrap: true)],
        deliver: 3
    )

    print("build 3 stores order 4, then is rolled back to build 2")
    try await run(
        "build 3",
        Build3.OrderPlaced.self,
        mailbox,
        publish: [.init(id: 4, customerID: "dee", amount: "1", currency: "EUR", giftWrap: true)],
        deliver: 0
    )
    try await run("build 2", Build2.OrderPlaced.self, mailbox, deliver: 0)
    print("build 3 again: the dead letter reads now, and is requeued and handled")
    try await run("build 3", Build3.OrderPlaced.self, mailbox, deliver: 0) { bus in
        let requeued = try await bus.requeueDeadLetters(of: mailbox)
        print("  build 3 requeued \(requeued) dead letter(s)")
    }
    try await run("build 3", Build3.OrderPlaced.self, mailbox, deliver: 1)

    #if EncryptionSupport
        print("\nencrypted: a key ring, a rotation, a deleted key")
        let secret = Mailbox.durable(name: "secret", directory: scratch.path, sync: .none)
        let first = try KeyRing(currentKeyID: "2026-11", keys: ["2026-11": KeyRing.generateKey()])
        let rotated = try first.rotated(to: "2026-12", key: KeyRing.generateKey())
        let order = Build3.OrderPlaced(id: 5, customerID: "eve", amount: "99", currency: "EUR", giftWrap: false)
        try await run(
            "build 3 (key 2026-11)",
            Build3.OrderPlaced.self,
            secret,
            codec: EncryptedEventCodec(for: Build3.OrderPlaced.self, keyRing: first),
            publish: [order],
            deliver: 0
        )
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/secret")
            .filter { $0.hasSuffix(".log") }
            .map {
                try String(
                    decoding: Data(contentsOf: URL(fileURLWithPath: scratch.path + "/secret/" + $0)),
                    as: UTF8.self
                )
            }
            .joined()
        print(
            "  on disk: the name in clear: \(files.contains("shop.order-placed")); \"eve\" in clear: \(files.contains("eve"))"
        )
        print("  key 2026-11 deleted (crypto-shredding): the order is kept, and reported")
        try await run(
            "build 3 (key 2026-12 only)",
            Build3.OrderPlaced.self,
            secret,
            codec: EncryptedEventCodec(for: Build3.OrderPlaced.self, keyRing: try rotated.removingKey("2026-11")),
            deliver: 0
        )
        print("  with the rotated ring (both keys) it is requeued and read")
        try await run(
            "build 3 (both keys)",
            Build3.OrderPlaced.self,
            secret,
            codec: EncryptedEventCodec(for: Build3.OrderPlaced.self, keyRing: rotated),
            deliver: 0
        ) { bus in _ = try await bus.requeueDeadLetters(of: secret) }
        try await run(
            "build 3 (both keys)",
            Build3.OrderPlaced.self,
            secret,
            codec: EncryptedEventCodec(for: Build3.OrderPlaced.self, keyRing: rotated),
            deliver: 1
        )
    #else
        print("\n(encrypted bodies: swift run --traits EncryptionSupport RollingDeploy)")
    #endif
    print("\ndone: nothing decoded with the wrong shape, nothing lost")
}
