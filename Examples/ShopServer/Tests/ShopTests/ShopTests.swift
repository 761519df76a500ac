import EventBus
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryTracing
import Logging
import NIOCore
import Shop
import Testing
import Tracing

/// The shop over real HTTP (`.live`: a server on a free port).
@Suite struct ShopTests {
    static let order = #"{"customer": "ada", "items": [{"sku": "A1", "quantity": 2}]}"#

    func withShop(_ body: @escaping @Sendable (Shop, any TestClientProtocol) async throws -> Void) async throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let shop = try await Shop(data: data)
        var options = ShopOptions()
        options.port = 0
        try await shop.application(options).test(.live) { client in try await body(shop, client) }
    }

    func post(_ client: some TestClientProtocol, _ body: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: "/orders", method: .post, body: ByteBuffer(string: body)) { response in
            (response.status, String(buffer: response.body))
        }
    }

    func placeOrder(_ client: some TestClientProtocol, _ body: String = Self.order) async throws -> String {
        let (status, text) = try await post(client, body)
        #expect(status == .accepted)
        return try JSONDecoder().decode(AcceptedOrder.self, from: Data(text.utf8)).id
    }

    func entry(_ client: some TestClientProtocol, _ id: String) async throws -> OrderBook.Entry? {
        try await client.execute(uri: "/orders/\(id)", method: .get) { response in
            guard response.status == .ok else { return nil }
            return try JSONDecoder().decode(OrderBook.Entry.self, from: Data(String(buffer: response.body).utf8))
        }
    }

    @Test func ordersFlowToTheObserverTheMailerAndBilling() async throws {
        try await withShop { shop, client in
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try await placeOrder(client)) }
            // The observer ran inside the request.
            #expect(await shop.inventory.reserved["A1"] == 6)
            await shop.bus.waitUntilIdle()
            for id in ids {
                let entry = try #require(try await entry(client, id))
                #expect(entry.status == "charged")
                #expect(entry.mailed)
                #expect(shop.ledger.charged(id) == 2_000)
            }
            #expect(shop.ledger.charges.count == 3)
            #expect(await shop.mails.sent.map(\.orderID) == ids)
        }
    }

    @Test func theRequestIdIsTheCorrelationIdOfWhatTheRequestPublished() async throws {
        try await withShop { shop, client in
            let audit = try await shop.bus.subscribe(OrderPlaced.self, mailbox: .memory(name: "audit"))
            let requestID = try await client.execute(
                uri: "/orders",
                method: .post,
                body: ByteBuffer(string: Self.order)
            ) { response in response.headers[Shop.requestIDHeader] }
            var deliveries = audit.makeAsyncIterator()
            let delivery = try #require(try await deliveries.next())
            #expect(requestID != nil)
            #expect(delivery.metadata.correlationID == requestID)
        }
    }

    @Test func badInputGets400WithAClearMessage() async throws {
        try await withShop { shop, client in
            let cases = [
                ("{not json", "the body is not an order"),
                (#"{"customer": "ada", "items": []}"#, "at least one item"),
                (#"{"customer": "ada", "items": [{"sku": "A1", "quantity": 0}]}"#, "quantity of at least 1"),
                (#"{"customer": " ", "items": [{"sku": "A1", "quantity": 1}]}"#, "needs a customer"),
            ]
            for (body, message) in cases {
                let (status, text) = try await post(client, body)
                #expect(status == .badRequest)
                #expect(text.contains(message), "\(text)")
            }
            #expect(shop.billing.metrics().enqueued == 0)
            let missing = try await client.execute(uri: "/orders/nope", method: .get) { $0.status }
            #expect(missing == .notFound)
        }
    }

    @Test func aDeclinedCardIsRetriedThenDeadLettered() async throws {
        try await withShop { shop, client in
            let id = try await placeOrder(client, #"{"customer": "mallory", "items": [{"sku": "B2", "quantity": 1}]}"#)
            await shop.bus.waitUntilIdle()
            while shop.billing.metrics().deadLetters == 0 {
                // Retries wait for their backoff (20 and 40 ms).
                try await Task.sleep(for: .milliseconds(10))
                await shop.bus.waitUntilIdle()
            }
            #expect(try await entry(client, id)?.status == "payment-failed")
            #expect(shop.ledger.charged(id) == nil)
            #expect(try await shop.billing.deadLetters().map(\.element.event.id) == [id])
            let health = try await client.execute(uri: "/health", method: .get) { String(buffer: $0.body) }
            #expect(health.contains(#""billingDeadLetters":1"#))
        }
    }

    @Test func metricsServeTheBusThroughPrometheus() async throws {
        try await withShop { shop, client in
            _ = try await placeOrder(client)
            await shop.bus.waitUntilIdle()
            let (status, text) = try await client.execute(uri: "/metrics", method: .get) { response in
                (response.status, String(buffer: response.body))
            }
            #expect(status == .ok)
            for series in [
                #"messaging_client_consumed_messages{"#,
                #"messaging_destination_name="billing""#,
                #"messaging_destination_name="mailer""#,
                "eventbus_queue_depth",
                "messaging_process_duration",
            ] {
                #expect(text.contains(series), "missing \(series)")
            }
        }
    }

    @Test func traceContextFlowsFromTheRequestIntoEveryHandler() async throws {
        let tracer = InMemoryTracer()
        try await withTracer(tracer) {
            try await withShop { shop, client in
                _ = try await placeOrder(client)
                await shop.bus.waitUntilIdle()
            }
        }
        let spans = tracer.finishedSpans
        let request = try #require(spans.first { $0.operationName.contains("/orders") && $0.kind == .server })
        for handler in ["process billing", "process mailer"] {
            let span = try #require(spans.first { $0.operationName == handler }, "no span \(handler)")
            #expect(span.traceID == request.traceID)
            #expect(span.kind == .consumer)
        }
    }
}

/// What `POST /orders` answers.
struct AcceptedOrder: Decodable {
    let id: String
}

/// A fresh private folder under the temporary directory.
func temporaryFolder() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("shop-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
