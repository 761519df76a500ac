#if DashboardSupport
    import EventBusDashboard
    import HTTPTypes
    import Hummingbird
    import HummingbirdTesting
    import Testing

    /// The dashboard mounted in a Hummingbird application under a path it chooses, over live HTTP:
    /// reads and actions behind the application's check, POST with the same origin and the token.
    @Suite struct HummingbirdMountTests {
        static func application(_ dashboard: Dashboard) -> some ApplicationProtocol {
            let router = Router()
            router.get("health") { _, _ in "ok" }
            router.addRoutes(
                dashboard.routes(authorize: { request, _ in
                    switch request.headers[.authorization] {
                    case "Bearer operator": .act
                    case "Bearer viewer": .read
                    default: DashboardAccess.none
                    }
                }),
                atPath: "/ops/eventbus"
            )
            return Application(router: router)
        }

        @Test func itServesThePageTheJSONAndItsAssetsUnderItsPath() async throws {
            let dashboard = Dashboard(source: FakeSource(mailboxes: Known.mailboxes(), letters: Known.letters()))
            try await Self.application(dashboard).test(.live) { client in
                #expect(try await client.get("/health").text == "ok")
                let anonymous = try await client.get("/ops/eventbus")
                #expect(anonymous.status == .forbidden)
                #expect(!anonymous.text.contains("billing"))
                let viewer: HTTPFields = [.authorization: "Bearer viewer"]
                for path in ["/ops/eventbus", "/ops/eventbus/"] {
                    let page = try await client.get(path, viewer)
                    #expect(page.status == .ok)
                    #expect(page.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(page.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
                    #expect(page.text.contains(#"<td data-field="forecast" class="drains">drains in 40 s</td>"#))
                    #expect(page.text.contains(#"href="/ops/eventbus/dashboard.css""#))
                    #expect(page.text.contains("&lt;script&gt;alert("))
                    #expect(try page.csrf().isEmpty)
                }
                let json = try await client.get("/ops/eventbus/snapshot.json", viewer)
                #expect(json.headers[.contentType] == "application/json")
                #expect(json.text.contains(#""text":"full in 3 min""#))
                let script = try await client.get("/ops/eventbus/dashboard.js")
                #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(script.text == DashboardAssets.script)
                #expect(try await client.get("/ops/eventbus/nothing", viewer).status == .notFound)
            }
        }

        @Test func requeueAndPurgeAreRefusedWithoutAuthorizationAndDoneWithIt() async throws {
            let source = FakeSource(mailboxes: Known.mailboxes(), letters: Known.letters())
            let dashboard = Dashboard(source: source)
            try await Self.application(dashboard).test(.live) { client in
                let operatorFields: HTTPFields = [.authorization: "Bearer operator"]
                let token = try await client.get("/ops/eventbus/", operatorFields).csrf()
                #expect(token.count == 64)
                let requeue = "/ops/eventbus/actions/requeue"
                let form = "csrf=\(token)&mailbox=billing&id=0000000000000000000000000000000a"
                // Refused: nobody, a viewer, a wrong token, another origin, a GET.
                #expect(try await client.post(requeue, form: form).status == .forbidden)
                #expect(
                    try await client.post(requeue, form: form, [.authorization: "Bearer viewer"]).status == .forbidden
                )
                let wrong = try await client.post(requeue, form: "csrf=0&mailbox=billing", operatorFields)
                #expect(wrong.status == .forbidden)
                #expect(wrong.text.contains("token"))
                let foreign = try await client.post(requeue, form: form, origin: "http://evil.example", operatorFields)
                #expect(foreign.status == .forbidden)
                #expect(try await client.get(requeue + "?" + form, operatorFields).status == .methodNotAllowed)
                #expect(source.performed.isEmpty)
                // Done.
                let done = try await client.post(requeue, form: form, operatorFields)
                #expect(done.status == .ok)
                #expect(done.text.contains("requeued 1 dead letters of billing"))
                let purged = try await client.post(
                    "/ops/eventbus/actions/purge",
                    form: "csrf=\(token)&mailbox=billing",
                    operatorFields
                )
                #expect(purged.status == .ok)
                #expect(
                    source.performed == [
                        .requeue(mailbox: "billing", ids: ["0000000000000000000000000000000a"]),
                        .purge(mailbox: "billing"),
                    ]
                )
                let after = try await client.get("/ops/eventbus/snapshot.json", operatorFields)
                #expect(after.text.contains(#""canAct":true"#))
                #expect(after.text.contains(#""deadLetters":0,"#))
            }
        }
    }
#endif
