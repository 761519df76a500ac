#if PostgresSupport
    import EventBus
    import EventLog
    import Foundation
    import Logging
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    #if canImport(Glibc)
        import Glibc
    #endif

    /// Failures when the server cannot be reached: each operation answers within the bound set in
    /// the test's options with a typed error naming the cause and the address; a write whose answer
    /// was lost is an unknown outcome; consumers resume by themselves. (Nothing here times anything:
    /// the bounds are small, and the test's time limit is the safety net.)
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(3)))
    struct FailureBoundTests {
        /// A port nothing listens on: bound, then closed.
        static func closedPort() throws -> Int {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
                }
            }
            guard bound else { throw PostgresStoreError.database("no free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }

        /// A running client of `host:port` with a password the errors must never show.
        static func withClient<T: Sendable>(
            port: Int,
            _ body: @Sendable (PostgresClient) async throws -> T
        ) async throws -> T {
            var configuration = try PostgresTestSupport.configuration()
            configuration = PostgresClient.Configuration(
                host: "127.0.0.1",
                port: port,
                username: configuration.username,
                password: "s3cret-never-shown",
                database: configuration.database,
                tls: .disable
            )
            let client = PostgresClient(configuration: configuration)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                defer { group.cancelAll() }
                return try await body(client)
            }
        }

        /// The text of a network failure, checked: the address, the cause's words, never the
        /// password, never postgres-nio's generic description.
        static func check(_ error: any Error, names address: String, saying words: [String]) {
            let text = "\(error)"
            #expect(text.contains(address), "\(text)")
            for word in words { #expect(text.contains(word), "\(text)") }
            #expect(!text.contains("s3cret"))
            #expect(!text.contains("Generic description"))
        }

        @Test func aClosedPortIsRefusedWithinTheBoundNamingTheAddress() async throws {
            let port = try Self.closedPort()
            let address = "127.0.0.1:\(port)"
            try await Self.withClient(port: port) { client in
                let options = PostgresStoreOptions(operationTimeout: .milliseconds(600), server: address)
                let shared = DurableStore.postgres(client, schema: PostgresTestSupport.freshSchema(), options: options)
                let bus = Bus()
                // Declaring (also what consume and declareQueue do first).
                do {
                    try await bus.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                    Issue.record("declared against a closed port")
                } catch BusError.mailboxUnavailable(_, .other(let cause)) {
                    guard case .unreachable(address, _, .refused)? = cause as? PostgresStoreError else {
                        Issue.record("not refused: \(cause)")
                        return
                    }
                    Self.check(cause, names: address, saying: ["refused"])
                }
                await #expect(throws: BusError.self) {
                    try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "billing", store: shared)) { _ in }
                }
                await #expect(throws: BusError.self) {
                    try await bus.declareQueue(
                        "jobs",
                        for: OrderPlaced.self,
                        mailbox: .durable(name: "jobs", store: shared)
                    )
                }
                // The operations of PostgresGroups.
                let groups = PostgresGroups(client, schema: "whatever", options: options)
                for operation in [
                    { _ = try await groups.declared() }, { _ = try await groups.pending(group: "billing") },
                    { _ = try await groups.deadLetters(group: "billing") }, { _ = try await groups.migrate() },
                ] as [@Sendable () async throws -> Void] {
                    do {
                        try await operation()
                        Issue.record("an operation succeeded against a closed port")
                    } catch let error as PostgresStoreError {
                        guard case .unreachable(address, _, .refused) = error else {
                            Issue.record("not refused: \(error)")
                            continue
                        }
                        Self.check(error, names: address, saying: ["refused", "cannot be reached"])
                    }
                }
                await bus.shutdown()
            }
        }

        @Test func withoutTheAddressTheErrorSaysWhereToGiveIt() async throws {
            let port = try Self.closedPort()
            try await Self.withClient(port: port) { client in
                let groups = PostgresGroups(client, options: PostgresStoreOptions(operationTimeout: .milliseconds(300)))
                do {
                    _ = try await groups.declared()
                    Issue.record("listed groups of a closed port")
                } catch let error as PostgresStoreError {
                    guard case .unreachable(nil, _, .timedOut) = error else {
                        Issue.record("unexpected: \(error)")
                        return
                    }
                    #expect("\(error)".contains("PostgresStoreOptions.server"))
                }
            }
        }

        @Test func aPublishWhoseAnswerIsLostIsAnUnknownOutcomeAndSafeToRepeat() async throws {
            try await PostgresTestSupport.withClient { (direct, schema) async throws in
                let target = try PostgresTestSupport.configuration()
                let proxy = try await TestProxy(to: target.host ?? "127.0.0.1", port: target.port ?? 5432)
                defer { Task { await proxy.close() } }
                let address = "127.0.0.1:\(proxy.port)"
                // The schema is made beforehand, without a tight bound (a busy machine's DDL).
                _ = try await PostgresGroups(direct, schema: schema).migrate()
                try await Self.withClient(port: proxy.port) { client in
                    let options = PostgresStoreOptions(operationTimeout: .seconds(2), server: address)
                    let shared = DurableStore.postgres(client, schema: schema, options: options)
                    let bus = Bus()
                    try await bus.declareMailbox(.durable(name: "billing", store: shared), for: OrderPlaced.self)
                    try await bus.publish(OrderPlaced(id: 0))
                    // The statement reaches the server and commits; its answer never comes back.
                    proxy.set(.dropReplies)
                    let events = (1...3).map { OrderPlaced(id: $0) }
                    let id: @Sendable (OrderPlaced) -> EventID = { EventID(high: 7, low: UInt64($0.id)) }
                    var unknown: [EventID] = []
                    do {
                        try await bus.publish(contentsOf: events, id: id)
                        Issue.record("a publish reported success without an answer")
                    } catch BusError.outcomeUnknown(let report) {
                        unknown = report.outcomeUnknown
                        Self.check(
                            BusError.outcomeUnknown(report),
                            names: address,
                            saying: ["did not confirm", "no answer"]
                        )
                    }
                    #expect(unknown == events.map(id))
                    // The link is back: publishing them again with the same ids stores nothing twice.
                    // (Again until it is confirmed: a busy machine may keep a first try past the bound.)
                    proxy.set(.forward)
                    try await PostgresTestSupport.eventually {
                        (try? await bus.publish(contentsOf: events, id: id)) != nil
                    }
                    var count = 0
                    for try await value in try await direct.query(
                        """
                        SELECT count(*)::bigint FROM \(unescaped: schema).deliveries
                        WHERE event_id = ANY(\(unknown.map(\.description)))
                        """
                    ).decode(Int64.self) {
                        count = Int(value)
                    }
                    #expect(count == 3)
                    await bus.shutdown()
                }
            }
        }

        @Test func aConsumerBehindABlackholeLogsOnceAndResumesByItself() async throws {
            try await PostgresTestSupport.withClient { (direct, schema) async throws in
                let target = try PostgresTestSupport.configuration()
                let proxy = try await TestProxy(to: target.host ?? "127.0.0.1", port: target.port ?? 5432)
                defer { Task { await proxy.close() } }
                let address = "127.0.0.1:\(proxy.port)"
                let log = LogRecorder()
                _ = try await PostgresGroups(direct, schema: schema).migrate()
                try await Self.withClient(port: proxy.port) { client in
                    var logger = Logger(label: "test") { _ in log }
                    logger.logLevel = .info
                    let options = PostgresStoreOptions(
                        batchSize: 4,
                        lease: .seconds(4),
                        pollInterval: .milliseconds(100),
                        logger: logger,
                        operationTimeout: .seconds(2),
                        server: address
                    )
                    let consumerBus = Bus()
                    let handled = Recorder()
                    try await consumerBus.consume(
                        OrderPlaced.self,
                        mailbox: .durable(name: "work", store: .postgres(client, schema: schema, options: options))
                    ) { order in
                        await handled.record(order.id)
                    }
                    let publisher = Bus()
                    let direct = DurableStore.postgres(direct, schema: schema)
                    try await publisher.declareMailbox(.durable(name: "work", store: direct), for: OrderPlaced.self)
                    try await publisher.publish(OrderPlaced(id: 0))
                    try await PostgresTestSupport.eventually { await handled.count == 1 }
                    // Packets dropped, not refused: the consumer's statements get no answer.
                    proxy.set(.blackhole)
                    try await publisher.publish(contentsOf: (1...5).map { OrderPlaced(id: $0) })
                    try await PostgresTestSupport.eventually { log.count(of: "cannot claim") == 1 }
                    proxy.set(.forward)
                    try await PostgresTestSupport.eventually { await handled.count >= 6 }
                    #expect(Set(await handled.ids) == Set(0...5))
                    try await PostgresTestSupport.eventually { log.count(of: "claim from PostgreSQL again") == 1 }
                    // Said once, however many claims failed meanwhile.
                    #expect(log.count(of: "cannot claim") == 1)
                    #expect(log.messages.allSatisfy { !$0.contains("Generic description") })
                    await consumerBus.shutdown()
                    await publisher.shutdown()
                }
            }
        }
    }

    /// What a logger was told.
    final class LogRecorder: LogHandler, Sendable {
        private let lines = Locked<[String]>([])

        var messages: [String] { lines.withLock { $0 } }

        func count(of text: String) -> Int { messages.count { $0.contains(text) } }

        func log(event: LogEvent) {
            let metadata = event.metadata.map { " \($0)" } ?? ""
            lines.withLock { $0.append("\(event.message)\(metadata)") }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { nil }
            set {}
        }

        var metadata: Logger.Metadata {
            get { [:] }
            set {}
        }

        var logLevel: Logger.Level {
            get { .trace }
            set {}
        }
    }
#endif
