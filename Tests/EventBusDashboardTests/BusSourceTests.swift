import CommandLineSupport
import EventBus
import EventBusDashboard
import EventQueue
import Foundation
import Testing

#if DashboardSupport
    import HTTPTypes
    import Hummingbird
    import HummingbirdTesting
#endif

/// A running bus as the dashboard shows it: every queue with its kind and numbers, dead letters
/// by mailbox name (with the kinds of reason the stores keep), and the actions through the bus.
@Suite struct BusSourceTests {
    /// A bus with a durable mailbox `billing` (order 1 acknowledged, 2 a dead letter, 3 waiting),
    /// an in-memory mailbox `audit` and a callback `mailer`; the subscriptions, which keep their
    /// mailboxes.
    static func shop(_ directory: String) async throws -> (Bus, Deliveries<Order>, Deliveries<Order>) {
        let bus = Bus()
        let billing = try await bus.subscribe(
            Order.self,
            mailbox: .durable(name: "billing", directory: directory, sync: .none),
            acknowledgement: .manual(visibilityTimeout: nil)
        )
        let audit = try await bus.subscribe(Order.self, mailbox: .memory(name: "audit"))
        try bus.on(Order.self, name: "mailer") { _ in }
        for id in 1...2 { try await bus.publish(Order(id: id)) }
        var iterator = billing.makeAsyncIterator()
        try await iterator.next()?.ack()
        try await iterator.next()?.nack(reason: "card declined")
        try await bus.publish(Order(id: 3))
        await bus.waitUntilIdle()
        return (bus, billing, audit)
    }

    @Test func everyQueueShowsItsKindNumbersAndDeadLetters() async throws {
        let directory = try ScratchDirectory.create(prefix: "eventbus-dashboard").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (bus, _, audit) = try await Self.shop(directory)
        let source = BusDashboardSource(bus)
        let mailboxes = try await source.mailboxes()
        #expect(audit.metrics().depth == 3)
        let byName = Dictionary(uniqueKeysWithValues: mailboxes.map { ($0.name, $0) })
        let billing = try #require(byName["billing"])
        #expect(billing.kind == .durable)
        #expect(billing.depth == 1)
        #expect(billing.deadLetters == 1)
        #expect(billing.deadLettered == 1)
        #expect(billing.capacity == 100_000)
        #expect(billing.arrivalRate != nil)
        #expect(billing.forecast != nil)
        #expect(billing.recovery != nil)
        #expect(billing.actions == [.requeue, .purge, .remove])
        #expect(byName["audit"]?.kind == .memory)
        #expect(byName["audit"]?.depth == 3)
        #expect(byName["mailer"]?.kind == .callback)
        #expect(byName["mailer"]?.actions == [])
        let letters = try await source.deadLetters(of: "billing", limit: 10, bodies: false)
        #expect(letters.count == 1)
        #expect(letters[0].reason == DeadLetterReasonSnapshot(kind: "handlerFailed", text: "card declined"))
        #expect(letters[0].eventName == Order.eventName)
        #expect(letters[0].attempts == 1)
        #expect(letters[0].deadLetteredAt != nil)
        #expect(letters[0].body == nil)
        #expect(try await source.deadLetters(of: "billing", limit: 10, bodies: true)[0].body == #"{"id":2}"#)
        _ = await bus.shutdown(draining: .zero)
    }

    @Test func theActionsGoThroughTheBus() async throws {
        let directory = try ScratchDirectory.create(prefix: "eventbus-dashboard").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (bus, billing, _) = try await Self.shop(directory)
        let source = BusDashboardSource(bus)
        let id = try #require(billing.deadLetters().first?.id)
        // An id that is no event id: refused, nothing requeued.
        await #expect(throws: DashboardActionError.notDeadLetters(mailbox: "billing", ids: ["nope"])) {
            try await source.perform(.requeue(mailbox: "billing", ids: ["nope", id.description]))
        }
        #expect(billing.metrics().deadLetters == 1)
        #expect(
            try await source.perform(.requeue(mailbox: "billing", ids: [id.description]))
                == "requeued 1 dead letter of billing"
        )
        #expect(billing.metrics().deadLetters == 0)
        #expect(billing.metrics().depth == 2)
        #expect(
            try await source.perform(.purge(mailbox: "billing"))
                == "purged billing: deleted 2 pending events and 0 dead letters"
        )
        #expect(billing.metrics().depth == 0)
        #expect(try await source.perform(.remove(mailbox: "billing")) == "removed billing and everything it stored")
        #expect(!FileManager.default.fileExists(atPath: directory + "/billing"))
        await #expect(throws: BusError.self) { try await source.perform(.purge(mailbox: "nothing")) }
        _ = await bus.shutdown(draining: .zero)
    }

    @Test func theKindsOfDeadLetterAreNamedOnThePage() {
        let kinds = [
            DeadLetterReasonSnapshot(.handlerFailed("card declined")),
            DeadLetterReasonSnapshot(.undecodable("keyNotFound id")),
            DeadLetterReasonSnapshot(.unknownVersion(stored: 3, known: 2)),
            DeadLetterReasonSnapshot(.undecryptable(keyID: "k2", "no such key")),
            DeadLetterReasonSnapshot(storedText: "[unknown version] stored 3, this build reads up to 2"),
        ]
        #expect(
            kinds.map(\.kind) == ["handlerFailed", "undecodable", "unknownVersion", "undecryptable", "unknownVersion"]
        )
        #expect(
            kinds.map(\.label) == [
                "handler failed", "undecodable", "unknown version", "undecryptable", "unknown version",
            ]
        )
        #expect(kinds[2].text == "unknown version: stored with schema version 3, this build reads up to 2")
        let letter = DeadLetterSnapshot(id: "1", eventName: "<b>x</b>", reason: kinds[3], attempts: 0, crashes: 0)
        var mailbox = MailboxSnapshot(
            name: "billing",
            kind: .durable,
            depth: 0,
            inFlight: 0,
            delayed: 0,
            deadLetters: 1
        )
        mailbox.deadLetterList = [letter]
        let html = DashboardPage.render(
            DashboardSnapshot(generatedAt: "now", source: .live, sampleInterval: 2, mailboxes: [mailbox]),
            title: "EventBus",
            mount: "",
            csrfToken: nil,
            refresh: 2_000
        )
        #expect(
            html.contains(
                #"<span class="reason undecryptable">undecryptable</span> undecryptable (key &quot;k2&quot;): no such key"#
            )
        )
        #expect(html.contains("&lt;b&gt;x&lt;/b&gt;"))
    }

    #if DashboardSupport
        @Test func mountedInAnApplicationItRequeuesABusDeadLetterThroughItsForm() async throws {
            let directory = try ScratchDirectory.create(prefix: "eventbus-dashboard").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (bus, billing, _) = try await Self.shop(directory)
            var options = DashboardOptions()
            options.accessToken = "operator-0123456789abcdef"
            let dashboard = Dashboard(bus: bus, options: options)
            let router = Router()
            router.addRoutes(dashboard.routes(), atPath: "/eventbus")
            try await Application(router: router).test(.live) { client in
                let bearer: HTTPFields = [.authorization: "Bearer operator-0123456789abcdef"]
                let page = try await client.get("/eventbus/", bearer)
                #expect(page.text.contains("card declined"))
                let token = try page.csrf()
                let id = try #require(billing.deadLetters().first?.id.description)
                #expect(
                    try await client.post("/eventbus/actions/requeue", form: "mailbox=billing&id=\(id)", bearer).status
                        == .forbidden
                )
                let done = try await client.post(
                    "/eventbus/actions/requeue",
                    form: "csrf=\(token)&mailbox=billing&id=\(id)",
                    bearer
                )
                #expect(done.status == .ok)
                #expect(billing.metrics().deadLetters == 0)
                let purged = try await client.post(
                    "/eventbus/actions/purge",
                    form: "csrf=\(token)&mailbox=billing",
                    bearer
                )
                #expect(purged.status == .ok)
                #expect(billing.metrics().depth == 0)
            }
            _ = await bus.shutdown(draining: .zero)
        }
    #endif
}
