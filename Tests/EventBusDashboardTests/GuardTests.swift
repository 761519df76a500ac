import EventBusDashboard
import Foundation
import Testing

/// Who may read and act, as plain functions and through `Dashboard.respond(to:)`: without an
/// authorization check the dashboard is read-only (and only for loopback); an action needs a
/// POST, a requester allowed to act, the same origin and the page's token.
@Suite struct GuardTests {
    static func post(
        _ action: String,
        form: String,
        origin: String? = "http://127.0.0.1:8080",
        headers: [String: String] = [:]
    ) -> DashboardRequest {
        var all = [
            "Host": "127.0.0.1:8080", "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
        ]
        if let origin { all["Origin"] = origin }
        all.merge(headers) { _, new in new }
        return DashboardRequest(
            method: "POST",
            path: "actions/" + action,
            mount: "/eventbus",
            headers: all,
            body: Array(form.utf8),
            peerIsLoopback: true
        )
    }

    @Test func withoutACheckOnlyLoopbackClientsThatNoProxyForwardedMayRead() {
        let local = DashboardRequest(method: "GET", path: "", mount: "", peerIsLoopback: true)
        let remote = DashboardRequest(method: "GET", path: "", mount: "", peerIsLoopback: false)
        let proxied = DashboardRequest(
            method: "GET",
            path: "",
            mount: "",
            headers: ["X-Forwarded-For": "203.0.113.9"],
            peerIsLoopback: true
        )
        #expect(DashboardGuard.accessWithoutCheck(local) == .read)
        #expect(DashboardGuard.accessWithoutCheck(remote) == DashboardAccess.none)
        #expect(DashboardGuard.accessWithoutCheck(proxied) == DashboardAccess.none)
    }

    @Test func theSameOriginIsTheRequestsHostOrATrustedOrigin() {
        func request(_ headers: [String: String]) -> DashboardRequest {
            DashboardRequest(method: "POST", path: "actions/purge", mount: "", headers: headers)
        }
        #expect(DashboardGuard.isSameOrigin(request(["Host": "shop:8080", "Origin": "http://shop:8080"])))
        #expect(DashboardGuard.isSameOrigin(request(["Host": "Shop:8080", "Origin": "HTTP://shop:8080/"])))
        #expect(!DashboardGuard.isSameOrigin(request(["Host": "shop:8080", "Origin": "http://evil.example"])))
        #expect(!DashboardGuard.isSameOrigin(request(["Host": "shop:8080", "Origin": "null"])))
        #expect(!DashboardGuard.isSameOrigin(request(["Host": "shop:8080"])))
        #expect(DashboardGuard.isSameOrigin(request(["Host": "shop:8080", "Sec-Fetch-Site": "same-origin"])))
        #expect(!DashboardGuard.isSameOrigin(request(["Host": "shop:8080", "Sec-Fetch-Site": "cross-site"])))
        #expect(DashboardGuard.isSameOrigin(request(["Host": "shop:8080", "Referer": "http://shop:8080/eventbus/"])))
        #expect(!DashboardGuard.isSameOrigin(request(["Host": "shop:8080", "Referer": "http://shop:8080.evil/"])))
        // Behind a proxy that rewrites Host, the public origin is trusted by name.
        let proxied = request(["Host": "127.0.0.1:8080", "Origin": "https://ops.example.com"])
        #expect(!DashboardGuard.isSameOrigin(proxied))
        #expect(DashboardGuard.isSameOrigin(proxied, trustedOrigins: ["https://ops.example.com"]))
    }

    @Test func tokensMatchOnlyWhenEqual() {
        #expect(DashboardGuard.tokensMatch("abc", "abc"))
        #expect(!DashboardGuard.tokensMatch("abd", "abc"))
        #expect(!DashboardGuard.tokensMatch("ab", "abc"))
        #expect(!DashboardGuard.tokensMatch("abcd", "abc"))
        #expect(!DashboardGuard.tokensMatch(nil, "abc"))
        #expect(!DashboardGuard.tokensMatch("", ""))
    }

    @Test func anActionPassesEachCheckInTurn() {
        let good = Self.post("purge", form: "csrf=T&mailbox=billing")
        #expect(DashboardGuard.check(action: good, access: .act, csrfToken: "T") == .allowed)
        #expect(DashboardGuard.check(action: good, access: .read, csrfToken: "T") == .notAuthorized)
        #expect(DashboardGuard.check(action: good, access: .act, csrfToken: "U") == .badToken)
        let foreign = Self.post("purge", form: "csrf=T&mailbox=billing", origin: "http://evil.example")
        #expect(DashboardGuard.check(action: foreign, access: .act, csrfToken: "T") == .crossOrigin)
        let twice = Self.post("purge", form: "csrf=U&csrf=T&mailbox=billing")
        #expect(DashboardGuard.check(action: twice, access: .act, csrfToken: "T") == .badToken)
        let get = DashboardRequest(method: "GET", path: "actions/purge", mount: "")
        #expect(DashboardGuard.check(action: get, access: .act, csrfToken: "T") == .notPost)
    }

    @Test func formsAndQueriesArePercentDecoded() {
        let request = DashboardRequest(
            method: "POST",
            path: "/actions/requeue",
            mount: "/eventbus/",
            query: "token=a%2Bb&x",
            headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Cookie": "a=1; b = 2"],
            body: Array("mailbox=mailbox+MyApp.Order+%232&id=1&id=2&bad=%zz".utf8)
        )
        #expect(request.path == "actions/requeue")
        #expect(request.mount == "/eventbus")
        #expect(request.query["token"] == "a+b")
        #expect(request.form["mailbox"] == ["mailbox MyApp.Order #2"])
        #expect(request.form["id"] == ["1", "2"])
        #expect(request.form["bad"] == nil)
        #expect(request.cookies == ["a": "1", "b": "2"])
    }

    /// The page's token, read from it as its script does.
    static func csrf(in html: String) throws -> String {
        let marker = #"data-csrf=""#
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    @Test func actionsAreRefusedWithoutACheckAndDoneWithOne() async throws {
        let source = FakeSource(mailboxes: Known.mailboxes(), letters: Known.letters())
        // No authorization check: read-only, so the page has no token and a POST is refused.
        let readOnly = Dashboard(source: source)
        let page = await readOnly.respond(
            to: DashboardRequest(method: "GET", path: "", mount: "", peerIsLoopback: true)
        )
        #expect(page.status == 200)
        #expect(try Self.csrf(in: page.text).isEmpty)
        let refused = await readOnly.respond(to: Self.post("purge", form: "csrf=&mailbox=billing"))
        #expect(refused.status == 403)
        #expect(refused.text.contains("read-only"))
        #expect(source.performed.isEmpty)

        // With a check that lets this request act.
        var options = DashboardOptions()
        options.authorize = { request in request.header("x-operator") == "ada" ? .act : .read }
        let dashboard = Dashboard(source: source, options: options)
        let operatorPage = await dashboard.respond(
            to: DashboardRequest(method: "GET", path: "", mount: "/eventbus", headers: ["X-Operator": "ada"])
        )
        let token = try Self.csrf(in: operatorPage.text)
        #expect(token.count == 64)
        let operatorHeader = ["X-Operator": "ada"]
        // Wrong token, another origin, no permission: refused, nothing done.
        let badToken = await dashboard.respond(
            to: Self.post("purge", form: "csrf=x&mailbox=billing", headers: operatorHeader)
        )
        #expect(badToken.status == 403)
        let foreign = await dashboard.respond(
            to: Self.post(
                "purge",
                form: "csrf=\(token)&mailbox=billing",
                origin: "http://evil.example",
                headers: operatorHeader
            )
        )
        #expect(foreign.status == 403)
        let reader = await dashboard.respond(to: Self.post("purge", form: "csrf=\(token)&mailbox=billing"))
        #expect(reader.status == 403)
        #expect(source.performed.isEmpty)
        // Right: done through the source, answered in JSON to a script.
        let requeued = await dashboard.respond(
            to: Self.post(
                "requeue",
                form: "csrf=\(token)&mailbox=billing&id=0000000000000000000000000000000a",
                headers: operatorHeader
            )
        )
        #expect(requeued.status == 200)
        #expect(requeued.text == #"{"message":"requeued 1 dead letters of billing","ok":true}"#)
        let purged = await dashboard.respond(
            to: Self.post("purge", form: "csrf=\(token)&mailbox=billing", headers: operatorHeader)
        )
        #expect(purged.status == 200)
        #expect(
            source.performed == [
                .requeue(mailbox: "billing", ids: ["0000000000000000000000000000000a"]), .purge(mailbox: "billing"),
            ]
        )
        let unknown = await dashboard.respond(
            to: Self.post("remove", form: "csrf=\(token)&mailbox=nope", headers: operatorHeader)
        )
        #expect(unknown.status == 409)
        #expect(unknown.text.contains("no mailbox nope"))
    }

    @Test func readsAreBehindTheCheckToo() async throws {
        var options = DashboardOptions()
        options.authorize = { _ in .none }
        let dashboard = Dashboard(source: FakeSource(mailboxes: Known.mailboxes()), options: options)
        let local = DashboardRequest(method: "GET", path: "snapshot.json", mount: "", peerIsLoopback: true)
        let answer = await dashboard.respond(to: local)
        #expect(answer.status == 403)
        #expect(!answer.text.contains("billing"))
        // The script and stylesheet are the same for everybody.
        #expect(
            await dashboard.respond(to: DashboardRequest(method: "GET", path: "dashboard.js", mount: "")).status == 200
        )
    }

    @Test func anAccessTokenLogsInWithACookieAndEveryAnswerCarriesTheSecurityHeaders() async throws {
        var options = DashboardOptions()
        options.accessToken = "0123456789abcdef0123"
        let dashboard = Dashboard(source: FakeSource(mailboxes: Known.mailboxes()), options: options)
        let anonymous = await dashboard.respond(
            to: DashboardRequest(method: "GET", path: "", mount: "/ops", peerIsLoopback: true)
        )
        #expect(anonymous.status == 403)
        let wrong = await dashboard.respond(
            to: DashboardRequest(method: "GET", path: "login", mount: "/ops", query: "token=nope")
        )
        #expect(wrong.status == 403)
        let login = await dashboard.respond(
            to: DashboardRequest(method: "GET", path: "login", mount: "/ops", query: "token=0123456789abcdef0123")
        )
        #expect(login.status == 303)
        #expect(login.headers["Location"] == "/ops/")
        let cookie = try #require(login.headers["Set-Cookie"])
        #expect(cookie.hasSuffix("; Path=/ops; HttpOnly; SameSite=Strict"))
        let session = String(cookie.prefix { $0 != ";" })
        #expect(!session.contains("0123456789abcdef0123"))
        let page = await dashboard.respond(
            to: DashboardRequest(method: "GET", path: "", mount: "/ops", headers: ["Cookie": session])
        )
        #expect(page.status == 200)
        #expect(page.text.contains("billing"))
        let bearer = await dashboard.respond(
            to: DashboardRequest(
                method: "GET",
                path: "snapshot.json",
                mount: "/ops",
                headers: ["Authorization": "Bearer 0123456789abcdef0123"]
            )
        )
        #expect(bearer.status == 200)
        for answer in [anonymous, login, page, bearer] {
            #expect(
                answer.headers["Content-Security-Policy"]?.contains("default-src 'none'; script-src 'self'") == true
            )
            #expect(answer.headers["X-Content-Type-Options"] == "nosniff")
            #expect(answer.headers["Cache-Control"] == "no-store")
        }
    }
}
