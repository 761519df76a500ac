import Foundation

/// The operator's dashboard: every mailbox, queue and consumer group with its numbers, a chart
/// of its last minutes and its forecast, its dead letters and recovery; requeue, purge and
/// remove for those the application allows.
///
/// This is the framework-free core: ``respond(to:granted:)`` answers a ``DashboardRequest`` with a
/// ``DashboardResponse``. With the trait `DashboardSupport`, `routes()` mounts it in a
/// Hummingbird application; another server framework needs only a few lines that convert its
/// request and response the same way.
///
/// ```swift
/// func application(bus: Bus, options: DashboardOptions) -> some ApplicationProtocol {
///     let dashboard = Dashboard(bus: bus, options: options)
///     let router = Router()
///     router.addRoutes(dashboard.routes(), atPath: "/eventbus")   // DashboardSupport
///     var app = Application(router: router)
///     app.addServices(bus, dashboard)   // it samples while it runs; stopped before the bus
///     return app
/// }
/// ```
///
/// Its routes, below where it is mounted: `GET /` the page, `GET /snapshot.json` the
/// ``DashboardSnapshot``, `GET /dashboard.js` and `/dashboard.css`, `GET /login?token=` (with an
/// ``DashboardOptions/accessToken``), and `POST /actions/requeue`, `/actions/purge`,
/// `/actions/remove` with the form fields `csrf`, `mailbox` and, for requeue, `id` (repeated;
/// none: all).
public final class Dashboard: Sendable {
    /// Where the numbers come from.
    public let source: any DashboardSource
    /// How it behaves.
    public let options: DashboardOptions
    /// The token every form carries (random, for this dashboard's lifetime).
    let csrfToken: String
    /// The session cookie's value after a login with the access token (random).
    let sessionToken: String
    let samples: DashboardSamples
    private let origin = ContinuousClock.now

    /// The name of the session cookie ``DashboardOptions/accessToken`` logins set.
    public static let sessionCookie = "eventbus-dashboard"

    /// A dashboard over `source`.
    public init(source: some DashboardSource, options: DashboardOptions = DashboardOptions()) {
        self.source = source
        self.options = options
        csrfToken = Self.makeToken()
        sessionToken = Self.makeToken()
        samples = DashboardSamples(samples: options.samplesKept, mailboxes: options.chartedMailboxes)
    }

    /// A new secret for ``DashboardOptions/accessToken``: 32 bytes from the system's random
    /// generator, as 64 hex digits.
    public static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    // MARK: Sampling

    /// Seconds between samples.
    var interval: Double {
        let parts = options.sampleInterval.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// Seconds since this dashboard was made, on the monotonic clock.
    func clock() -> Double {
        let parts = (ContinuousClock.now - origin).components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// Takes one sample of every mailbox for the charts (a live source only).
    /// - Throws: the source's error.
    public func sample() async throws {
        guard source.kind == .live else { return }
        samples.record(try await source.mailboxes(), at: clock())
    }

    /// Samples every ``DashboardOptions/sampleInterval`` until the task is cancelled (a source
    /// that failed is tried again at the next sample). Over a stored source it only waits.
    /// (With the trait `DashboardSupport` the dashboard is a `Service` whose `run()` does this.)
    public func sampleUntilCancelled() async {
        while !Task.isCancelled {
            try? await sample()
            do { try await Task.sleep(for: options.sampleInterval) } catch { return }
        }
    }

    // MARK: Reading

    /// What the page shows now: the source's mailboxes, each with its dead letters, chart and
    /// cells.
    /// - Parameter canAct: whether the requester may act (the snapshot says so).
    /// - Throws: the source's error.
    public func snapshot(canAct: Bool = false) async throws -> DashboardSnapshot {
        var mailboxes = try await source.mailboxes()
        let now = clock()
        for index in mailboxes.indices {
            let name = mailboxes[index].name
            if mailboxes[index].deadLetters > 0 {
                // One mailbox whose dead letters cannot be read does not take the page down.
                do {
                    mailboxes[index].deadLetterList = try await source.deadLetters(
                        of: name,
                        limit: options.deadLettersShown,
                        bodies: options.showBodies
                    )
                } catch {
                    let note = "its dead letters cannot be read: \(error)"
                    mailboxes[index].note = mailboxes[index].note.map { $0 + "; " + note } ?? note
                }
            }
            if source.kind == .live {
                mailboxes[index].chart = ChartMaker.chart(
                    series: samples.series(of: name),
                    now: now,
                    window: interval * Double(samples.samples),
                    mailbox: mailboxes[index]
                )
            }
            mailboxes[index].cells = DashboardPage.cells(mailboxes[index])
        }
        return DashboardSnapshot(
            generatedAt: DashboardFormat.timestamp(Date()),
            source: source.kind,
            notice: source.notice,
            canAct: canAct,
            bodiesShown: options.showBodies,
            sampleInterval: interval,
            chartWindow: source.kind == .live ? interval * Double(samples.samples) : 0,
            mailboxes: mailboxes
        )
    }

    /// What `request` may do: the access token's grant, the application's check
    /// (``DashboardOptions/authorize``) and what an adapter's own check `granted`, whichever
    /// allows most; with none of them, ``DashboardGuard/accessWithoutCheck(_:)``.
    public func access(for request: DashboardRequest, granted: DashboardAccess? = nil) async -> DashboardAccess {
        guard options.accessToken != nil || options.authorize != nil || granted != nil else {
            return DashboardGuard.accessWithoutCheck(request)
        }
        var access = granted ?? .none
        if let token = options.accessToken {
            let bearer = request.header("authorization").flatMap { value -> String? in
                value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
            }
            if DashboardGuard.tokensMatch(request.cookies[Self.sessionCookie], sessionToken)
                || DashboardGuard.tokensMatch(bearer, token)
            {
                access = options.accessTokenGrants
            }
        }
        if let authorize = options.authorize { access = max(access, await authorize(request)) }
        return access
    }

    // MARK: Answering

    /// Answers a request to the dashboard (see the type's documentation for the routes).
    /// - Parameters:
    ///   - request: the request, as the adapter read it.
    ///   - granted: what an adapter's own authorization check granted (nil: it has none).
    public func respond(to request: DashboardRequest, granted: DashboardAccess? = nil) async -> DashboardResponse {
        var response: DashboardResponse
        switch (request.method, request.path) {
        case ("GET", "dashboard.js"):
            response = DashboardResponse(
                status: 200,
                headers: ["Content-Type": "text/javascript; charset=utf-8"],
                body: Array(DashboardAssets.script.utf8)
            )
        case ("GET", "dashboard.css"):
            response = DashboardResponse(
                status: 200,
                headers: ["Content-Type": "text/css; charset=utf-8"],
                body: Array(DashboardAssets.stylesheet.utf8)
            )
        case ("GET", "login"):
            response = login(request)
        case ("GET", ""), ("GET", "index.html"):
            response = await page(request, access: await access(for: request, granted: granted))
        case ("GET", "snapshot.json"):
            response = await json(request, access: await access(for: request, granted: granted))
        case (_, let path) where path.hasPrefix("actions/"):
            response = await action(request, access: await access(for: request, granted: granted))
        default:
            response = message(404, "not found", request)
        }
        response.headers.merge(DashboardResponse.securityHeaders) { mine, _ in mine }
        return response
    }

    private func page(_ request: DashboardRequest, access: DashboardAccess) async -> DashboardResponse {
        guard access >= .read else { return refusal(request) }
        do {
            let snapshot = try await snapshot(canAct: access >= .act)
            let html = DashboardPage.render(
                snapshot,
                title: options.title,
                mount: request.mount,
                csrfToken: access >= .act ? csrfToken : nil,
                refresh: Int(interval * 1_000)
            )
            return DashboardResponse(
                status: 200,
                headers: ["Content-Type": "text/html; charset=utf-8"],
                body: Array(html.utf8)
            )
        } catch {
            return message(503, "the dashboard cannot read its source: \(error)", request)
        }
    }

    private func json(_ request: DashboardRequest, access: DashboardAccess) async -> DashboardResponse {
        guard access >= .read else { return refusal(request) }
        do {
            let snapshot = try await snapshot(canAct: access >= .act)
            return DashboardResponse(
                status: 200,
                headers: ["Content-Type": "application/json"],
                body: Array(try Self.encoder.encode(snapshot))
            )
        } catch {
            return message(503, "the dashboard cannot read its source: \(error)", request)
        }
    }

    /// Sorted keys, numbers that are not finite as strings (JSON has none).
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity",
            negativeInfinity: "-Infinity",
            nan: "NaN"
        )
        return encoder
    }

    private func action(_ request: DashboardRequest, access: DashboardAccess) async -> DashboardResponse {
        let verdict = DashboardGuard.check(
            action: request,
            access: access,
            csrfToken: csrfToken,
            trustedOrigins: options.trustedOrigins
        )
        guard verdict == .allowed else { return message(verdict.status, verdict.message, request) }
        guard let kind = DashboardActionKind(rawValue: String(request.path.dropFirst("actions/".count))) else {
            return message(404, "no such action", request)
        }
        guard let mailbox = request.form["mailbox"]?.first, !mailbox.isEmpty else {
            return message(400, "the form names no mailbox", request)
        }
        let ids = (request.form["id"] ?? []).filter { !$0.isEmpty }
        let action: DashboardAction =
            switch kind {
            case .requeue: .requeue(mailbox: mailbox, ids: ids.isEmpty ? nil : Set(ids))
            case .purge: .purge(mailbox: mailbox)
            case .remove: .remove(mailbox: mailbox)
            }
        do {
            return message(200, try await source.perform(action), request)
        } catch let error as DashboardActionError {
            return message(409, error.description, request)
        } catch {
            return message(500, "\(kind.rawValue) of \(mailbox) failed: \(error)", request)
        }
    }

    private func login(_ request: DashboardRequest) -> DashboardResponse {
        guard let token = options.accessToken, DashboardGuard.tokensMatch(request.query["token"], token) else {
            return message(403, "wrong or missing token", request)
        }
        let path = request.mount.isEmpty ? "/" : request.mount
        return DashboardResponse(
            status: 303,
            headers: [
                "Location": request.mount + "/",
                "Set-Cookie": "\(Self.sessionCookie)=\(sessionToken); Path=\(path); HttpOnly; SameSite=Strict",
            ]
        )
    }

    private func refusal(_ request: DashboardRequest) -> DashboardResponse {
        let hint =
            options.accessToken != nil
            ? "not authorized: open the login link with the dashboard's token"
            : options.authorize != nil
                ? "not authorized" : "not authorized: without an authorization check only loopback clients may read"
        return message(403, hint, request)
    }

    /// A short answer: JSON `{"ok": …, "message": …}` to a script (`Accept: application/json`),
    /// a small page otherwise.
    private func message(_ status: Int, _ text: String, _ request: DashboardRequest) -> DashboardResponse {
        if (request.header("accept") ?? "").contains("application/json") || request.path.hasSuffix(".json") {
            let body = (try? Self.encoder.encode(ActionAnswer(ok: status < 300, message: text))) ?? Data()
            return DashboardResponse(status: status, headers: ["Content-Type": "application/json"], body: Array(body))
        }
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(options.title))</title>
            <link rel="stylesheet" href="\(HTML.escape(request.mount))/dashboard.css"></head>
            <body><p id="status">\(HTML.escape(text))</p><p><a href="\(HTML.escape(request.mount))/">back to the dashboard</a></p></body></html>

            """
        return DashboardResponse(
            status: status,
            headers: ["Content-Type": "text/html; charset=utf-8"],
            body: Array(html.utf8)
        )
    }
}
