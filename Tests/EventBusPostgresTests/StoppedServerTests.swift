#if PostgresSupport
    import EventBus
    import EventLog
    import Dispatch
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    #if canImport(Glibc)
        import Glibc
    #endif

    /// A server that stops and starts again, on a cluster of the test's own (made by
    /// `.ci/postgres` on a free port, so that stopping it cannot disturb tests running beside it):
    /// every operation answers within the bound with the cause and the address; consumers resume
    /// by themselves when it is back.
    @Suite(
        .enabled(
            if: PostgresTestSupport.isConfigured && getuid() == 0,
            "needs EVENTBUS_POSTGRES_URL and root (it starts a PostgreSQL cluster of its own with .ci/postgres)"
        ),
        .timeLimit(.minutes(3))
    )
    struct StoppedServerTests {
        /// `.ci/postgres` of this checkout.
        static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".ci/postgres").path

        /// Runs `.ci/postgres verb` for the cluster on `port` (no pooler).
        static func cluster(_ verb: String, port: Int) async throws {
            try await shell(
                "EVENTBUS_POSTGRES_PORT=\(port) EVENTBUS_POSTGRES_POOLER=0 bash '\(script)' \(verb)",
                log: "cluster-\(port)"
            )
        }

        /// Runs `command` with bash, its output in /tmp/eventbus-`log`.log. With `system` on a thread
        /// of its own: Foundation's `Process` did not see a script that started a server end here
        /// (and a pipe for its output would stay open in the server).
        static func shell(_ command: String, log: String) async throws {
            let path = "/tmp/eventbus-\(log).log"
            let script = "/tmp/eventbus-\(log)-\(UInt64.random(in: 0...UInt64.max)).sh"
            try command.write(toFile: script, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: script) }
            let status = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(returning: system("bash '\(script)' >> '\(path)' 2>&1"))
                }
            }
            guard status == 0 else {
                let said = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                throw PostgresStoreError.database("\(command) failed (\(status)): \(said.suffix(2_000))")
            }
        }

        /// Whether a network failure of the store names `address` and one of `causes`.
        static func isNetworkFailure(_ error: any Error, at address: String, _ causes: [String]) -> Bool {
            let text = "\(error)"
            return text.contains(address) && causes.contains { text.contains($0) }
                && !text.contains("Generic description")
        }

        @Test func aStoppedServerIsRefusedInBoundedTimeAndConsumersResumeWhenItIsBack() async throws {
            let port = try FailureBoundTests.closedPort()
            try await Self.cluster("start", port: port)
            let address = "127.0.0.1:\(port)"
            // Stopped however the test ends.
            let stopped = { try await Self.cluster("stop", port: port) }
            do {
                try await exercise(port: port, address: address)
            } catch {
                try? await stopped()
                throw error
            }
            try await stopped()
        }

        private func exercise(port: Int, address: String) async throws {
            try await FailureBoundTests.withClient(port: port) { client in
                let options = PostgresStoreOptions(
                    batchSize: 4,
                    lease: .seconds(2),
                    pollInterval: .milliseconds(100),
                    operationTimeout: .seconds(2),
                    server: address
                )
                let schema = PostgresTestSupport.freshSchema()
                // The schema is made beforehand, without a tight bound (a busy machine's DDL).
                _ = try await PostgresGroups(client, schema: schema).migrate()
                let shared = DurableStore.postgres(client, schema: schema, options: options)
                let bus = Bus()
                let handled = Recorder()
                try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "orders", store: shared)) { order in
                    await handled.record(order.id)
                }
                try await bus.declareQueue(
                    "jobs",
                    for: ParcelShipped.self,
                    mailbox: .durable(name: "jobs", store: shared)
                )
                try await bus.publish(OrderPlaced(id: 0))
                try await PostgresTestSupport.eventually { await handled.count == 1 }

                try await Self.cluster("halt", port: port)
                // A publish: never a success, a typed error naming the cause and the address.
                do {
                    try await bus.publish(OrderPlaced(id: 1))
                    Issue.record("a publish succeeded while the server was stopped")
                } catch let error as BusError {
                    switch error {
                    case .notStored, .outcomeUnknown: break
                    default: Issue.record("unexpected: \(error)")
                    }
                    #expect(
                        Self.isNetworkFailure(error, at: address, ["refused", "closed the connection"]),
                        "\(error)"
                    )
                }
                // A send to a stored queue, a declaration, an operation of PostgresGroups.
                do {
                    try await bus.send(ParcelShipped(id: 1), to: "jobs")
                    Issue.record("a send succeeded while the server was stopped")
                } catch {
                    #expect(
                        Self.isNetworkFailure(error, at: address, ["refused", "closed the connection"]),
                        "\(error)"
                    )
                }
                do {
                    try await bus.declareMailbox(.durable(name: "later", store: shared), for: ParcelShipped.self)
                    Issue.record("a declaration succeeded while the server was stopped")
                } catch {
                    #expect(Self.isNetworkFailure(error, at: address, ["refused"]), "\(error)")
                }
                do {
                    _ = try await PostgresGroups(client, schema: schema, options: options).pending(group: "orders")
                    Issue.record("PostgresGroups answered while the server was stopped")
                } catch {
                    #expect(Self.isNetworkFailure(error, at: address, ["refused"]), "\(error)")
                }

                try await Self.cluster("resume", port: port)
                // Back: publishes work again (the client reconnects), and the consumer, which kept
                // retrying, handles them without a restart.
                try await PostgresTestSupport.eventually { (try? await bus.publish(OrderPlaced(id: 2))) != nil }
                try await PostgresTestSupport.eventually { await handled.ids.contains(2) }
                try await bus.send(ParcelShipped(id: 2), to: "jobs")
                await bus.shutdown()
            }
        }
    }
#endif
