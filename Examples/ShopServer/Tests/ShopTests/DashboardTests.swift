import EventBus
import EventBusDashboard
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Shop
import Testing

/// The dashboard the shop mounts at `/eventbus`, over real HTTP: closed without the token,
/// billing's numbers and its dead letter with the token, and a requeue through the page's form.
@Suite struct DashboardTests {
    static let declined = #"{"customer": "mallory", "items": [{"sku": "B2", "quantity": 1}]}"#

    @Test func theDashboardShowsBillingAndRequeuesItsDeadLetterForTheTokenHolder() async throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let shop = try await Shop(data: data, dashboardToken: "shop-operator-0123456789")
        var options = ShopOptions()
        options.port = 0
        try await shop.application(options).test(.live) { client in
            #expect(try await client.execute(uri: "/eventbus/", method: .get).status == .forbidden)
            _ = try await client.execute(uri: "/orders", method: .post, body: ByteBuffer(string: Self.declined))
            while shop.billing.metrics().deadLetters == 0 {
                // Retries wait for their backoff (20 and 40 ms).
                try await Task.sleep(for: .milliseconds(10))
                await shop.bus.waitUntilIdle()
            }
            let login = try await client.execute(uri: "/eventbus/login?token=shop-operator-0123456789", method: .get)
            #expect(login.status == .seeOther)
            let cookie = String(try #require(login.headers[.setCookie]).prefix { $0 != ";" })
            let page = try await client.execute(uri: "/eventbus/", method: .get, headers: [.cookie: cookie])
            let html = String(buffer: page.body)
            #expect(page.status == .ok)
            #expect(html.contains(#"<tr data-mailbox="billing">"#))
            #expect(html.contains("payment declined for order"))
            // Bodies stay hidden: the customer's name is not on the page.
            #expect(!html.contains("mallory"))
            let token = try #require(html.firstRange(of: #"data-csrf=""#)).upperBound
            let csrf = String(html[token...].prefix { $0 != "\"" })
            let snapshot = try await client.execute(
                uri: "/eventbus/snapshot.json",
                method: .get,
                headers: [.cookie: cookie]
            ) { try JSONDecoder().decode(DashboardSnapshot.self, from: Data(String(buffer: $0.body).utf8)) }
            let billing = try #require(snapshot.mailboxes.first { $0.name == "billing" })
            let letter = try #require(billing.deadLetterList.first)
            #expect(letter.attempts == Shop.billingAttempts)
            let requeued = try await client.execute(
                uri: "/eventbus/actions/requeue",
                method: .post,
                headers: [
                    .cookie: cookie, .origin: "http://localhost", .accept: "application/json",
                    .contentType: "application/x-www-form-urlencoded",
                ],
                body: ByteBuffer(string: "csrf=\(csrf)&mailbox=billing&id=\(letter.id)")
            )
            #expect(requeued.status == .ok)
            #expect(String(buffer: requeued.body).contains("requeued 1 dead letter of billing"))
            // Billing tries it again (and the card is declined again).
            while shop.billing.metrics().deadLettered < 2 {
                try await Task.sleep(for: .milliseconds(10))
                await shop.bus.waitUntilIdle()
            }
        }
    }
}
