import EventBusDashboard
import EventQueue
import Foundation
import Testing

/// The snapshot, its JSON and the page, for known numbers: what the page says, that every name
/// and reason is escaped, and that bodies stay hidden unless enabled.
@Suite struct RenderingTests {
    @Test func theForecastReadsAsAnOperatorSaysIt() {
        #expect(ForecastSnapshot(.drains(inSeconds: 40)).text == "drains in 40 s")
        #expect(ForecastSnapshot(.fills(inSeconds: 180)).text == "full in 3 min")
        #expect(ForecastSnapshot(.fills(inSeconds: 0)).text == "full now")
        #expect(ForecastSnapshot(.grows(perSecond: 30)).text == "grows by 30/s")
        #expect(ForecastSnapshot(.steady(depth: 12)).text == "steady at 12")
        #expect(ForecastSnapshot(.idle).text == "idle")
        #expect(ForecastSnapshot(.fills(inSeconds: 180)).kind == "fills")
        #expect(ForecastSnapshot(.fills(inSeconds: 180)).seconds == 180)
        #expect(DashboardFormat.duration(0.2) == "under 1 s")
        #expect(DashboardFormat.duration(89) == "1 min")
        #expect(DashboardFormat.duration(7_200) == "2 h")
        #expect(DashboardFormat.latency(0.0004) == "0.4 ms")
        #expect(DashboardFormat.latency(1.3) == "1.3 s")
        #expect(DashboardFormat.rate(2.5) == "2.5")
        #expect(DashboardFormat.rate(300.4) == "300")
        #expect(DashboardFormat.count(1_234_567) == "1,234,567")
        #expect(DashboardFormat.count(-12) == "-12")
        #expect(DashboardFormat.count(999) == "999")
    }

    @Test func theSnapshotCarriesEachMailboxsNumbersAndItsDeadLetters() async throws {
        let dashboard = Dashboard(source: FakeSource(mailboxes: Known.mailboxes(), letters: Known.letters()))
        let snapshot = try await dashboard.snapshot()
        #expect(snapshot.mailboxes.map(\.name) == ["billing", "audit", "mailer", Known.hostile])
        let billing = snapshot.mailboxes[0]
        #expect(billing.cells["depth"] == "400")
        #expect(billing.cells["inFlight"] == "8")
        #expect(billing.cells["capacity"] == "10,000")
        #expect(billing.cells["consumeRate"] == "10")
        #expect(billing.cells["p50"] == "12 ms")
        #expect(billing.cells["p99"] == "1.3 s")
        #expect(billing.cells["forecast"] == "drains in 40 s")
        #expect(
            billing.deadLetterList.map(\.id) == [
                "0000000000000000000000000000000a", "0000000000000000000000000000000b",
            ]
        )
        #expect(billing.deadLetterList.map(\.reason.label) == ["handler failed", "undecryptable"])
        // Bodies are personal data: not in the snapshot unless the application enables them.
        #expect(billing.deadLetterList.allSatisfy { $0.body == nil })
        #expect(snapshot.mailboxes[1].cells["forecast"] == "full in 3 min")
        #expect(snapshot.mailboxes[2].cells["forecast"] == "grows by 1.5/s")
        #expect(snapshot.mailboxes[2].cells["capacity"] == "—")
        #expect(!snapshot.canAct)
        #expect(!snapshot.bodiesShown)

        // The JSON: what monitoring polls, read back field for field.
        let json = try JSONEncoder().encode(snapshot)
        let decoded = try JSONDecoder().decode(DashboardSnapshot.self, from: json)
        #expect(decoded == snapshot)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        let first = try #require((object["mailboxes"] as? [[String: Any]])?.first)
        #expect(first["depth"] as? Int == 400)
        #expect((first["forecast"] as? [String: Any])?["kind"] as? String == "drains")
    }

    @Test func thePageShowsTheNumbersAndEscapesEveryName() async throws {
        var options = DashboardOptions()
        options.title = "Shop <ops>"
        let dashboard = Dashboard(
            source: FakeSource(mailboxes: Known.mailboxes(), letters: Known.letters()),
            options: options
        )
        let html = DashboardPage.render(
            try await dashboard.snapshot(canAct: true),
            title: options.title,
            mount: "/eventbus",
            csrfToken: "t0ken",
            refresh: 2_000
        )
        #expect(html.contains("<title>Shop &lt;ops&gt;</title>"))
        #expect(html.contains(#"<td data-field="depth">400</td>"#))
        #expect(html.contains(#"<td data-field="forecast" class="drains">drains in 40 s</td>"#))
        #expect(html.contains(#"<td data-field="forecast" class="fills">full in 3 min</td>"#))
        #expect(html.contains(#"<td data-field="forecast" class="grows">grows by 1.5/s</td>"#))
        #expect(html.contains("payment declined for order 7"))
        // The hostile mailbox, its event name and its reason are text, never markup.
        #expect(!html.contains("<script>alert"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b>Evil"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains(#"class="reason &lt;i&gt;""#))
        // The only script is the dashboard's own, from its own path; nothing from elsewhere.
        #expect(html.components(separatedBy: "<script").count == 2)
        #expect(html.contains(#"<script src="/eventbus/dashboard.js" defer></script>"#))
        #expect(!html.contains("http://") && !html.contains("https://"))
        // Forms post to the mount point's actions, with the token.
        #expect(html.contains(#"<form method="post" action="/eventbus/actions/requeue" class="action requeue">"#))
        #expect(html.contains(#"<input type="hidden" name="csrf" value="t0ken">"#))
        #expect(html.contains(#"action="/eventbus/actions/purge""#))
        // Bodies hidden.
        #expect(!html.contains("ada@example.com"))
    }

    @Test func aReaderWhoMayNotActGetsNoFormsAndNoToken() async throws {
        let dashboard = Dashboard(source: FakeSource(mailboxes: Known.mailboxes(), letters: Known.letters()))
        let html = DashboardPage.render(
            try await dashboard.snapshot(canAct: false),
            title: "EventBus",
            mount: "",
            csrfToken: nil,
            refresh: 2_000
        )
        #expect(!html.contains("<form"))
        #expect(html.contains(#"data-csrf="""#))
        #expect(html.contains("Read-only"))
        #expect(html.contains(#"<link rel="stylesheet" href="/dashboard.css">"#))
    }

    @Test func bodiesAreShownOnlyWhenTheApplicationEnablesThem() async throws {
        var options = DashboardOptions()
        options.showBodies = true
        let dashboard = Dashboard(
            source: FakeSource(mailboxes: Known.mailboxes(), letters: Known.letters()),
            options: options
        )
        let snapshot = try await dashboard.snapshot()
        #expect(snapshot.bodiesShown)
        #expect(snapshot.mailboxes[0].deadLetterList[0].body == #"{"customer":"ada@example.com"}"#)
        let html = DashboardPage.render(snapshot, title: "EventBus", mount: "", csrfToken: nil, refresh: 2_000)
        #expect(html.contains("{&quot;customer&quot;:&quot;ada@example.com&quot;}"))
        #expect(DashboardFormat.body([0xff, 0x00, 0x41]) == "ff0041")
        #expect(DashboardFormat.body(Array("héllo".utf8)) == "héllo")
    }

    @Test func aStoredSourceSaysWhereTheLiveNumbersAreAndDrawsNoChart() async throws {
        let source = FakeSource(
            kind: .stored,
            notice: "live rates come from the mounted dashboard",
            mailboxes: Known.mailboxes()
        )
        let dashboard = Dashboard(source: source)
        try await dashboard.sample()
        let snapshot = try await dashboard.snapshot()
        #expect(snapshot.source == .stored)
        #expect(snapshot.mailboxes.allSatisfy { $0.chart == nil })
        let html = DashboardPage.render(snapshot, title: "EventBus", mount: "", csrfToken: nil, refresh: 2_000)
        #expect(html.contains("live rates come from the mounted dashboard"))
        #expect(!html.contains("<svg"))
    }
}
