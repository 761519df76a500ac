import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Testing

/// Three builds of one event type, as three deployments of a shop wrote it: each is its own Swift
/// type with the same `eventName` and a higher `schemaVersion`.
enum ShopV1 {
    /// Version 1: `customer`, and the amount with its currency in one string.
    struct OrderPlaced: Event, Codable, Equatable {
        static let eventName = "shop.order-placed"
        let id: Int
        let customer: String
        let total: String
    }
}

enum ShopV2 {
    /// Version 2: `customer` renamed `customerID`.
    struct OrderPlaced: Event, Codable, Equatable {
        static let eventName = "shop.order-placed"
        static let schemaVersion = 2
        static let upcasters = [JSONUpcaster(from: 1) { order in order.rename("customer", to: "customerID") }]
        let id: Int
        let customerID: String
        let total: String
    }
}

enum ShopV3 {
    /// Version 3: `total` split into `amount` and `currency`, and `giftWrap` added (false for
    /// every order before).
    struct OrderPlaced: Event, Codable, Equatable {
        static let eventName = "shop.order-placed"
        static let schemaVersion = 3
        static let upcasters = [
            JSONUpcaster(from: 1) { order in order.rename("customer", to: "customerID") },
            JSONUpcaster(from: 2) { order in
                let parts = (order.removeValue(forKey: "total")?.stringValue ?? "").split(separator: " ")
                guard parts.count == 2 else { throw SplitFailed() }
                order["amount"] = .string(String(parts[0]))
                order["currency"] = .string(String(parts[1]))
                order["giftWrap"] = order["giftWrap"] ?? false
            },
        ]
        let id: Int
        let customerID: String
        let amount: String
        let currency: String
        let giftWrap: Bool
    }

    struct SplitFailed: Error, CustomStringConvertible {
        var description: String { "total is not \"<amount> <currency>\"" }
    }
}

/// Schema versions on the file log: upcasting from every older version, and a newer version —
/// a build rolled back — kept and reported, never decoded with the wrong shape.
@Suite struct VersioningTests {
    @Test func eventsOfThreeVersionsAreReadByTheNewestBuildThroughItsUpcasters() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "orders", directory: directory, sync: .none)
        // Three deployments, each publishing one order into the same mailbox.
        do {
            let bus = Bus()
            _ = try await bus.subscribe(ShopV1.OrderPlaced.self, mailbox: mailbox)
            try await bus.publish(ShopV1.OrderPlaced(id: 1, customer: "ada", total: "12.50 EUR"))
            await bus.shutdown(draining: .zero)
        }
        do {
            let bus = Bus()
            _ = try await bus.subscribe(ShopV2.OrderPlaced.self, mailbox: mailbox)
            try await bus.publish(ShopV2.OrderPlaced(id: 2, customerID: "bob", total: "3 USD"))
            await bus.shutdown(draining: .zero)
        }
        let bus = Bus()
        let orders = try await bus.subscribe(ShopV3.OrderPlaced.self, mailbox: mailbox)
        try await bus.publish(
            ShopV3.OrderPlaced(id: 3, customerID: "cy", amount: "7", currency: "CHF", giftWrap: true)
        )
        var iterator = orders.makeAsyncIterator()
        var read: [ShopV3.OrderPlaced] = []
        for _ in 0..<3 { read.append(try #require(try await iterator.next()).event) }
        #expect(
            read == [
                ShopV3.OrderPlaced(id: 1, customerID: "ada", amount: "12.50", currency: "EUR", giftWrap: false),
                ShopV3.OrderPlaced(id: 2, customerID: "bob", amount: "3", currency: "USD", giftWrap: false),
                ShopV3.OrderPlaced(id: 3, customerID: "cy", amount: "7", currency: "CHF", giftWrap: true),
            ]
        )
        #expect(orders.recoveryReport?.undecodable == [])
        await bus.shutdown(draining: .zero)
    }

    @Test func aNewerVersionIsKeptAndReportedByAnOlderBuildAndReadAfterTheUpgrade() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "orders", directory: directory, sync: .none)
        // The new build stores a version-3 order, then is rolled back.
        do {
            let bus = Bus()
            _ = try await bus.subscribe(ShopV3.OrderPlaced.self, mailbox: mailbox)
            try await bus.publish(
                ShopV3.OrderPlaced(id: 1, customerID: "ada", amount: "5", currency: "EUR", giftWrap: true)
            )
            await bus.shutdown(draining: .zero)
        }
        let newer: EventID
        do {
            let bus = Bus()
            let orders = try await bus.subscribe(ShopV2.OrderPlaced.self, mailbox: mailbox)
            // Never decoded: a dead letter, with its reason, counted and listed as stored.
            #expect(orders.metrics().depth == 0)
            #expect(orders.metrics().deadLetters == 1 && orders.metrics().deadLettered == 1)
            #expect(orders.recoveryReport?.undecodable.count == 1)
            let letter = try #require(try await bus.deadLetters(of: mailbox).first)
            #expect(letter.reason == .unknownVersion(stored: 3, known: 2))
            #expect(letter.schemaVersion == 3 && letter.codecID == "json")
            #expect(String(decoding: letter.body, as: UTF8.self).contains("\"giftWrap\":true"))
            newer = letter.id
            // The old build goes on with its own events.
            try await bus.publish(ShopV2.OrderPlaced(id: 2, customerID: "bob", total: "1 EUR"))
            var iterator = orders.makeAsyncIterator()
            #expect(try await iterator.next()?.event.id == 2)
            // It cannot put back what it cannot read.
            #expect(try await bus.requeueDeadLetters(of: mailbox) == 0)
            await bus.shutdown(draining: .zero)
        }
        // The new build again: the dead letter reads now, and is requeued and delivered.
        let bus = Bus()
        let orders = try await bus.subscribe(ShopV3.OrderPlaced.self, mailbox: mailbox)
        let letters = try await bus.deadLetters(of: mailbox)
        #expect(letters.map(\.id) == [newer])
        #expect(letters.first?.reason == .unknownVersion(stored: 3, known: 2))
        #expect(try await bus.requeueDeadLetters(of: mailbox, ids: [newer]) == 1)
        // The old build's order, handed out and never acknowledged, comes again too (upcast).
        var iterator = orders.makeAsyncIterator()
        var delivered: [EventID: ShopV3.OrderPlaced] = [:]
        for _ in 0..<2 {
            let delivery = try #require(try await iterator.next())
            delivered[delivery.metadata.id] = delivery.event
        }
        #expect(
            delivered[newer]
                == ShopV3.OrderPlaced(id: 1, customerID: "ada", amount: "5", currency: "EUR", giftWrap: true)
        )
        #expect(delivered.values.contains { $0.id == 2 && $0.customerID == "bob" && $0.currency == "EUR" })
        await bus.shutdown(draining: .zero)
    }

    @Test func anUpcasterThatThrowsMakesTheRecordADeadLetterWithItsError() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "orders", directory: directory, sync: .none)
        do {
            let bus = Bus()
            _ = try await bus.subscribe(ShopV1.OrderPlaced.self, mailbox: mailbox)
            try await bus.publish(ShopV1.OrderPlaced(id: 1, customer: "ada", total: "twelve"))
            await bus.shutdown(draining: .zero)
        }
        let bus = Bus()
        let orders = try await bus.subscribe(ShopV3.OrderPlaced.self, mailbox: mailbox)
        #expect(orders.metrics().deadLetters == 1)
        let letter = try #require(try await bus.deadLetters(of: mailbox).first)
        guard case .undecodable(let text) = letter.reason else {
            Issue.record("reason \(letter.reason)")
            return
        }
        #expect(text.contains("the upcaster from version 2 threw: total is not"))
        await bus.shutdown(draining: .zero)
    }

    @Test func jsonValuesReadAndWriteWhatTheyRead() throws {
        let text = #"{"a":[1,-0.5,2e10,12345678901234567890.123],"b":"é\n\"\u00e9\ud83d\ude00","c":null,"d":true}"#
        let value = try JSONValue(parsing: Array(text.utf8))
        #expect(value["a"]?.arrayValue?.map(\.doubleValue) == [1, -0.5, 2e10, 12345678901234567890.123])
        // Numbers keep their text: no digit is lost on the way back.
        #expect(String(decoding: value.jsonBytes, as: UTF8.self).contains("12345678901234567890.123"))
        #expect(value["b"]?.stringValue == "é\n\"é😀")
        #expect(value["c"] == .null && value["d"] == true)
        #expect(try JSONValue(parsing: value.jsonBytes) == value)
        for bad in ["", "{", "[1,]", "01", "1.", "\"\\x\"", "\"\\ud83d\"", "{\"a\" 1}", "nul", "[1] 2", "\"\u{1}\""] {
            #expect(throws: CodecError.self) { try JSONValue(parsing: Array(bad.utf8)) }
        }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: CodecError.self) { try JSONValue(parsing: Array(deep.utf8)) }
        var object: JSONValue = ["x": 1, "y": "two"]
        object["x"] = nil
        object["z"] = [true, nil, 2.5]
        #expect(object == ["y": "two", "z": [true, nil, 2.5]])
    }
}
