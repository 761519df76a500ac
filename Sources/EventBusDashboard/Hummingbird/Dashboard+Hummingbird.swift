#if DashboardSupport
    import HTTPTypes
    import Hummingbird
    import NIOCore
    import ServiceLifecycle

    extension Dashboard: Service {
        /// The dashboard's routes for a Hummingbird router: mount them under the path you choose.
        /// Who may read and act is decided by ``DashboardOptions/authorize`` and
        /// ``DashboardOptions/accessToken``; with neither, the dashboard is read-only for loopback
        /// clients (which needs a context that conforms to `RemoteAddressRequestContext`: with
        /// another, nobody may read).
        ///
        /// ```swift
        /// func mount(_ dashboard: Dashboard, on router: Router<BasicRequestContext>) {
        ///     router.addRoutes(dashboard.routes(), atPath: "/eventbus")
        /// }
        /// ```
        public func routes<Context: RequestContext>(
            context: Context.Type = BasicRequestContext.self
        ) -> RouteCollection<Context> {
            makeRoutes(authorize: nil)
        }

        /// The dashboard's routes, with the application's authorization check on Hummingbird's
        /// request and context (an identity your middleware put there, say), combined with
        /// ``DashboardOptions/authorize`` and the access token: whichever allows most.
        ///
        /// ```swift
        /// func mount(_ dashboard: Dashboard, on router: Router<BasicRequestContext>, operatorToken: String) {
        ///     router.addRoutes(
        ///         dashboard.routes { request, _ in
        ///             request.headers[.authorization] == "Bearer \(operatorToken)" ? DashboardAccess.act : .none
        ///         },
        ///         atPath: "/eventbus"
        ///     )
        /// }
        /// ```
        public func routes<Context: RequestContext>(
            authorize: @escaping @Sendable (Request, Context) async -> DashboardAccess
        ) -> RouteCollection<Context> {
            makeRoutes(authorize: authorize)
        }

        private func makeRoutes<Context: RequestContext>(
            authorize: (@Sendable (Request, Context) async -> DashboardAccess)?
        ) -> RouteCollection<Context> {
            let routes = RouteCollection(context: Context.self)
            let handler: @Sendable (Request, Context) async throws -> Response = { request, context in
                try await self.answer(request, context: context, authorize: authorize)
            }
            routes.get("", use: handler)
            routes.get("**", use: handler)
            routes.post("**", use: handler)
            return routes
        }

        /// Samples for the charts until a graceful shutdown or cancellation: add the dashboard to
        /// the application's services (`app.addServices(dashboard)`).
        public func run() async throws {
            await cancelWhenGracefulShutdown {
                await self.sampleUntilCancelled()
            }
        }

        private func answer<Context: RequestContext>(
            _ request: Request,
            context: Context,
            authorize: (@Sendable (Request, Context) async -> DashboardAccess)?
        ) async throws -> Response {
            let below = context.parameters.getCatchAll().joined(separator: "/")
            var mount = Substring(request.uri.path)
            while mount.hasSuffix("/") { mount = mount.dropLast() }
            if !below.isEmpty, mount.hasSuffix(below) { mount = mount.dropLast(below.count) }
            while mount.hasSuffix("/") { mount = mount.dropLast() }
            var headers: [String: String] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
            }
            // HTTP/1's Host is the request's authority in HTTPTypes.
            if let authority = request.head.authority { headers["host"] = authority }
            var body: [UInt8] = []
            if request.method == .post {
                var request = request
                let buffer = try await request.collectBody(upTo: 64 * 1_024)
                body = Array(buffer.readableBytesView)
            }
            let dashboardRequest = DashboardRequest(
                method: request.method.rawValue,
                path: below,
                mount: String(mount),
                query: request.uri.query ?? "",
                headers: headers,
                body: body,
                peerIsLoopback: Self.isLoopback((context as? any RemoteAddressRequestContext)?.remoteAddress)
            )
            let granted = await authorize?(request, context)
            let answer = await respond(to: dashboardRequest, granted: granted)
            var fields = HTTPFields()
            for (name, value) in answer.headers {
                if let name = HTTPField.Name(name) { fields[name] = value }
            }
            return Response(
                status: HTTPResponse.Status(code: answer.status),
                headers: fields,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
            )
        }

        /// Whether `address` is 127.0.0.0/8 or ::1 (or ::ffff:127.x, IPv4 in IPv6).
        static func isLoopback(_ address: SocketAddress?) -> Bool {
            guard let ip = address?.ipAddress else { return false }
            return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
        }
    }
#endif
