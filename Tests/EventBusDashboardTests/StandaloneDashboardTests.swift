import CommandLineSupport
import EventBus
import EventBusDashboard
import EventLog
import Foundation
import Testing

@testable import EventBusCLI

#if DashboardSupport
    import HTTPTypes
    import Hummingbird
    import HummingbirdTesting
#endif

struct Order: Event, Codable {
    let id: Int
}

/// `eventbus dashboard` over local mailbox directories: what it reads from the files, and that
/// it acts, for the holder of its token, only on mailboxes no process holds.
@Suite struct StandaloneDashboardTests {
    /// Mailbox `name` under `directory` with orders 1–3 delivered (1 acknowledged, 2 and 3 dead
    /// letters) and 4–5 waiting; returns the dead letters' ids, and the bus when `keep` (it then
    /// holds the mailbox).
    static func fill(_ directory: String, _ name: String, keep: Bool = false) async throws -> ([String], Bus?) {
        let bus = Bus()
        let orders = try await bus.subscribe(
            Order.self,
            mailbox: .durable(name: name, directory: directory, sync: .always),
            acknowledgement: .manual(visibilityTimeout: nil)
        )
        for id in 1...3 { try await bus.publish(Order(id: id)) }
        var iterator = orders.makeAsyncIterator()
        try await iterator.next()?.ack()
        try await iterator.next()?.nack(reason: "card declined")
        try await iterator.next()?.nack(reason: "undecodable record: bad JSON")
        for id in 4...5 { try await bus.publish(Order(id: id)) }
        let dead = orders.deadLetters().map(\.id.description)
        if keep { return (dead, bus) }
        _ = await bus.shutdown(draining: .zero)
        return (dead, nil)
    }

    @Test func itReadsDepthDeadLettersAndRecoveryFromTheFiles() async throws {
        let directory = try ScratchDirectory.create(prefix: "eventbus-dashboard").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (dead, _) = try await Self.fill(directory, "billing")
        let (_, holder) = try await Self.fill(directory, "held", keep: true)
        let source = StoredDashboardSource(directories: [directory])
        let mailboxes = try await source.mailboxes().sorted { $0.name < $1.name }
        #expect(mailboxes.map(\.name) == ["billing", "held"])
        let billing = mailboxes[0]
        #expect(billing.kind == .durable)
        #expect(billing.depth == 2)
        #expect(billing.deadLetters == 2)
        #expect(billing.arrivalRate == nil)
        #expect(billing.actions == [.requeue, .purge, .remove])
        #expect(billing.recovery?.segments == 1)
        #expect(mailboxes[1].actions.isEmpty)
        #expect(mailboxes[1].note?.hasPrefix("held by a running process") == true)
        let letters = try await source.deadLetters(of: "billing", limit: 10, bodies: false)
        #expect(letters.map(\.id) == dead)
        #expect(letters.map(\.reason.kind) == ["handlerFailed", "undecodable"])
        #expect(letters.map(\.reason.text) == ["card declined", "undecodable: bad JSON"])
        #expect(letters.allSatisfy { $0.deadLetteredAt != nil && $0.schemaVersion == 1 && $0.codecID == "json" })
        #expect(letters.map(\.eventName) == [Order.eventName, Order.eventName])
        #expect(letters.map(\.attempts) == [1, 1])
        #expect(letters.allSatisfy { $0.body == nil })
        #expect(try await source.deadLetters(of: "billing", limit: 10, bodies: true)[0].body == #"{"id":2}"#)
        // An id that is no event id: refused, nothing requeued.
        await #expect(throws: DashboardActionError.notDeadLetters(mailbox: "billing", ids: ["nope"])) {
            try await source.perform(.requeue(mailbox: "billing", ids: ["nope", dead[0]]))
        }
        #expect(try LogInspector().inspect(directory + "/billing", name: "billing").dead.count == 2)
        // The held mailbox: refused, nothing changed.
        await #expect(throws: DashboardActionError.held(mailbox: "held")) {
            try await source.perform(.purge(mailbox: "held"))
        }
        _ = await holder?.shutdown(draining: .zero)
    }

    @Test func itsSettingsListenOnLoopbackAndNeedADirectoryOrADatabase() throws {
        let settings = try DashboardTool.settings(
            ["/data", "/more"],
            environment: ["EVENTBUS_DASHBOARD_TOKEN": "s3cret-s3cret-s3cret"]
        )
        #expect(settings.hostname == "127.0.0.1")
        #expect(settings.directories == ["/data", "/more"])
        #expect(settings.token == "s3cret-s3cret-s3cret")
        #expect(settings.options.accessToken == "s3cret-s3cret-s3cret")
        #expect(!settings.options.showBodies)
        #expect(
            DashboardTool.banner(settings, port: 9000).hasPrefix(
                "eventbus dashboard: open http://127.0.0.1:9000/login?token=s3cret"
            )
        )
        #expect(try DashboardTool.settings(["/data"], environment: [:]).token.count == 64)
        #expect(throws: ArgumentError.missingArgument("DIR (or --postgres URL)", command: "eventbus dashboard")) {
            try DashboardTool.settings([], environment: [:])
        }
        #expect(throws: ArgumentError.self) {
            try DashboardTool.settings(["/data", "--token", "short"], environment: [:])
        }
        let source = StoredDashboardSource(directories: ["/data", "/more"])
        #expect(source.displayName("billing", in: "/more") == "/more/billing")
        #expect(source.locate("/more/billing")?.directory == "/more")
        #expect(source.locate("/more/billing")?.name == "billing")
        #expect(source.locate("/elsewhere/billing") == nil)
    }

    #if DashboardSupport
        @Test func overLiveHTTPItActsForTheTokenHolderOnMailboxesNoProcessHolds() async throws {
            let directory = try ScratchDirectory.create(prefix: "eventbus-dashboard").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (dead, _) = try await Self.fill(directory, "billing")
            let (_, holder) = try await Self.fill(directory, "held", keep: true)
            let settings = try DashboardTool.settings(
                [directory, "--port", "0", "--token", "0123456789abcdef0123"],
                environment: [:]
            )
            let app = DashboardTool.application(StoredDashboardSource(directories: [directory]), settings: settings) {
                _ in
            }
            try await app.test(.live) { client in
                #expect(try await client.get("/").status == .forbidden)
                #expect(try await client.get("/login?token=wrong").status == .forbidden)
                let login = try await client.get("/login?token=0123456789abcdef0123")
                #expect(login.status == .seeOther)
                let cookie = String(try #require(login.headers[.setCookie]).prefix { $0 != ";" })
                let session: HTTPFields = [.cookie: cookie]
                let page = try await client.get("/", session)
                #expect(page.status == .ok)
                #expect(
                    page.text.contains("live rates, latencies, forecasts and charts come from the dashboard mounted")
                )
                #expect(page.text.contains("held by a running process"))
                #expect(page.text.contains("card declined"))
                let token = try page.csrf()
                #expect(!token.isEmpty)
                let requeue = "csrf=\(token)&mailbox=billing&id=\(dead[0])"
                // Without the session, or with a wrong form token: refused.
                #expect(try await client.post("/actions/requeue", form: requeue).status == .forbidden)
                #expect(
                    try await client.post("/actions/requeue", form: "csrf=x&mailbox=billing", session).status
                        == .forbidden
                )
                #expect(try LogInspector().inspect(directory + "/billing", name: "billing").dead.count == 2)
                // With both: done through the CLI's own verbs.
                let requeued = try await client.post("/actions/requeue", form: requeue, session)
                #expect(requeued.status == .ok)
                #expect(requeued.text.contains("requeued 1 dead letter of billing"))
                let purged = try await client.post("/actions/purge", form: "csrf=\(token)&mailbox=billing", session)
                #expect(purged.status == .ok)
                #expect(purged.text.contains("deleted 3 pending events and 1 dead letter"))
                let report = try LogInspector().inspect(directory + "/billing", name: "billing")
                #expect(report.pending.isEmpty && report.dead.isEmpty)
                // A mailbox a process holds is never changed from here.
                let refused = try await client.post("/actions/purge", form: "csrf=\(token)&mailbox=held", session)
                #expect(refused.status == .conflict)
                #expect(refused.text.contains("a running process holds held"))
                let removed = try await client.post("/actions/remove", form: "csrf=\(token)&mailbox=billing", session)
                #expect(removed.status == .ok)
                #expect(!FileManager.default.fileExists(atPath: directory + "/billing"))
            }
            _ = await holder?.shutdown(draining: .zero)
        }
    #else
        @Test func withoutTheTraitItSaysHowToBuildIt() async {
            await #expect(throws: DashboardToolError.builtWithoutTrait) {
                try await DashboardTool.run(["/data"], environment: [:]) { _ in }
            }
        }
    #endif
}
