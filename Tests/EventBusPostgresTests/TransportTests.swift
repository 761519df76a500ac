#if PostgresSupport
    import EventBus
    import EventLog
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// A request across instances.
    struct GetQuote: Request, Codable {
        typealias Response = Int
        let symbol: String
    }

    /// A request whose responder hangs.
    struct SlowQuote: Request, Codable {
        typealias Response = Int
        let symbol: String
    }

    /// A request whose responder throws.
    struct FailingQuote: Request, Codable {
        typealias Response = Int
        let symbol: String
    }

    /// A broadcast across instances.
    struct PriceChanged: Event, Codable, Equatable {
        let sku: String
        var note: String = ""
    }

    /// Request-reply and broadcast between buses that each have their own client (instances),
    /// through the PostgreSQL transport, against a real server.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct TransportTests {
        static let options = PostgresStoreOptions(batchSize: 8, pollInterval: .milliseconds(100))

        /// Runs `body` with `count` instances: each a bus with a client of its own on `schema`.
        static func withInstances(
            _ count: Int,
            schema: String,
            options: PostgresStoreOptions = options,
            _ body: @Sendable ([Bus]) async throws -> Void
        ) async throws {
            // Each instance's connections carry the schema as their application name, so that a
            // test cuts only its own (tests run side by side on one server).
            let clients = try (0..<count).map { _ in
                var configuration = try PostgresTestSupport.configuration()
                configuration.options.additionalStartupParameters = [("application_name", schema)]
                return PostgresClient(configuration: configuration)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients { group.addTask { await client.run() } }
                defer { group.cancelAll() }
                let buses = clients.map { client in
                    let transport = Transport.postgres(client, schema: schema, options: options)
                    return Bus(configuration: BusConfiguration(durableStore: transport.store, transport: transport))
                }
                try await body(buses)
                for bus in buses { await bus.shutdown() }
            }
        }

        /// Waits until some instance answers `R` (its registration with the heartbeat is in).
        static func untilResponding(_ client: PostgresClient, schema: String, _ name: String) async throws {
            try await PostgresTestSupport.eventually {
                // The table exists once an instance's transport prepared the schema.
                guard
                    let rows = try? await client.query(
                        "SELECT count(*)::bigint FROM \(unescaped: schema).responders WHERE request_name = \(name)"
                    )
                else { return false }
                var count: Int64 = 0
                for try await value in rows.decode(Int64.self) { count = value }
                return count > 0
            }
        }

        @Test func aRequestIsAnsweredByAnotherInstance() async throws {
            try await PostgresTestSupport.withClient { client, schema in
                try await Self.withInstances(2, schema: schema) { buses in
                    let (asker, answerer) = (buses[0], buses[1])
                    let seen = Locked<[String]>([])
                    try answerer.respond(GetQuote.self) { request in
                        seen.withLock { $0.append(request.symbol) }
                        return request.symbol.count * 100
                    }
                    try await Self.untilResponding(client, schema: schema, GetQuote.eventName)
                    #expect(try await asker.request(GetQuote(symbol: "ACME"), timeout: .seconds(30)) == 400)
                    #expect(try await asker.request(GetQuote(symbol: "X"), timeout: .seconds(30)) == 100)
                    #expect(seen.withLock { $0 } == ["ACME", "X"])
                }
            }
        }

        @Test func noResponderAnywhereIsKnownWithoutWaitingForTheTimeout() async throws {
            try await PostgresTestSupport.withClient { _, schema in
                try await Self.withInstances(1, schema: schema) { buses in
                    // An hour's timeout: the test's time limit (2 minutes) shows it was not waited for.
                    await #expect {
                        try await buses[0].request(GetQuote(symbol: "X"), timeout: .seconds(3600))
                    } throws: { error in
                        guard case BusError.noResponder(let name) = error else { return false }
                        return name == GetQuote.eventName
                    }
                }
            }
        }

        @Test func aRespondersErrorAndATimeoutComeBackTyped() async throws {
            try await PostgresTestSupport.withClient { client, schema in
                try await Self.withInstances(2, schema: schema) { buses in
                    try buses[1].respond(FailingQuote.self) { _ in throw TestFailure.declined(7) }
                    try buses[1].respond(SlowQuote.self) { _ in
                        try await Task.sleep(for: .seconds(3600))
                        return 0
                    }
                    try await Self.untilResponding(client, schema: schema, SlowQuote.eventName)
                    try await Self.untilResponding(client, schema: schema, FailingQuote.eventName)
                    await #expect {
                        try await buses[0].request(FailingQuote(symbol: "X"), timeout: .seconds(30))
                    } throws: { error in
                        guard case BusError.remoteFailure(let name, _, let description) = error else { return false }
                        return name == FailingQuote.eventName && description.contains("declined 7")
                    }
                    await #expect {
                        try await buses[0].request(SlowQuote(symbol: "X"), timeout: .milliseconds(300))
                    } throws: { error in
                        guard case BusError.timeout = error else { return false }
                        return true
                    }
                }
            }
        }

        @Test func aBroadcastReachesEveryOtherInstanceOnceAndItsPublisherOnce() async throws {
            try await PostgresTestSupport.withClient { _, schema in
                try await Self.withInstances(3, schema: schema) { buses in
                    let seen = Locked<[Int: [String]]>([:])
                    for (index, bus) in buses.enumerated() {
                        try await bus.declareBroadcast(PriceChanged.self)
                        try bus.on(PriceChanged.self) { change in
                            seen.withLock { $0[index, default: []].append(change.sku) }
                        }
                    }
                    // Per-publisher order, and a body past NOTIFY's limit (by reference).
                    let large = String(repeating: "x", count: 20_000)
                    try await buses[0].publish(PriceChanged(sku: "A"))
                    try await buses[0].publish(PriceChanged(sku: "B", note: large))
                    try await buses[0].publish(PriceChanged(sku: "C"))
                    try await PostgresTestSupport.eventually {
                        seen.withLock { $0[1]?.count == 3 && $0[2]?.count == 3 }
                    }
                    for bus in buses { await bus.waitUntilIdle() }
                    let all = seen.withLock { $0 }
                    #expect(all[0] == ["A", "B", "C"])
                    #expect(all[1] == ["A", "B", "C"])
                    #expect(all[2] == ["A", "B", "C"])
                }
            }
        }

        @Test func aReceivedBroadcastCarriesItsIDCorrelationHeadersAndOrigin() async throws {
            try await PostgresTestSupport.withClient { _, schema in
                try await Self.withInstances(2, schema: schema) { buses in
                    let received = Locked<EventMetadata?>(nil)
                    for bus in buses { try await bus.declareBroadcast(PriceChanged.self) }
                    try buses[1].on(PriceChanged.self) { _ in
                        received.withLock { $0 = EventContext.current?.metadata }
                    }
                    let id = EventID.random()
                    try await buses[0].publish(
                        PriceChanged(sku: "A"),
                        headers: ["traceparent": "00-abc-def-01"],
                        correlationID: "order-7",
                        id: id
                    )
                    try await PostgresTestSupport.eventually { received.withLock { $0 != nil } }
                    let metadata = try #require(received.withLock { $0 })
                    #expect(metadata.id == id)
                    #expect(metadata.correlationID == "order-7")
                    #expect(metadata.headers["traceparent"] == "00-abc-def-01")
                    #expect(metadata.headers[Bus.broadcastOriginHeader] != nil)
                }
            }
        }

        @Test(.enabled(if: PostgresTestSupport.pgbouncerURL != nil, PostgresTestSupport.pgbouncerSkipReason))
        func behindAPoolerThatBreaksListenBroadcastsAreRefusedAtDeclaration() async throws {
            try await PostgresTestSupport.withClient { _, schema in
                let client = PostgresClient(
                    configuration: try PostgresTestSupport.configuration(url: PostgresTestSupport.pgbouncerURL)
                )
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await client.run() }
                    defer { group.cancelAll() }
                    let transport = Transport.postgres(client, schema: schema, options: Self.options)
                    let bus = Bus(configuration: BusConfiguration(transport: transport))
                    await #expect {
                        try await bus.declareBroadcast(PriceChanged.self)
                    } throws: { error in
                        guard case BusError.transportUnavailable(let failure) = error else { return false }
                        return failure.reason.contains("LISTEN")
                    }
                    await #expect {
                        try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(3600))
                    } throws: { error in
                        guard case BusError.transportUnavailable = error else { return false }
                        return true
                    }
                    await bus.shutdown()
                }
            }
        }

        @Test func aCutListenConnectionFailsRequestsAndComesBackByItself() async throws {
            try await PostgresTestSupport.withClient { client, schema in
                try await Self.withInstances(2, schema: schema) { buses in
                    try buses[1].respond(GetQuote.self) { request in request.symbol.count }
                    try await Self.untilResponding(client, schema: schema, GetQuote.eventName)
                    #expect(try await buses[0].request(GetQuote(symbol: "AB"), timeout: .seconds(30)) == 2)
                    // Cut both instances' LISTEN connections (only this test's: by application name).
                    try await client.query(
                        """
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                        WHERE application_name = \(schema)
                            AND (query ILIKE 'LISTEN%' OR query LIKE 'SELECT 1 -- eventbus: LISTEN%')
                        """
                    )
                    // Either the cut is seen (a typed error, never a hang) or the connection is
                    // back already; it comes back by itself, and requests work again.
                    try await PostgresTestSupport.eventually {
                        do {
                            return try await buses[0].request(GetQuote(symbol: "ABC"), timeout: .seconds(5)) == 3
                        } catch BusError.transportUnavailable {
                            return false
                        } catch BusError.timeout {
                            return false
                        }
                    }
                }
            }
        }
    }
#endif
