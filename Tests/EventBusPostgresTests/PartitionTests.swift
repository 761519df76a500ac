#if PostgresSupport
    import EventBus
    import EventLog
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    #if canImport(Glibc)
        import Glibc
    #endif

    /// A network partition: PostgreSQL runs in a network namespace of the test's own, reachable
    /// from each of three instances only through a veth link of its own (`ip netns`, iproute2).
    /// The first instance's link goes down for longer than the lease, twice, then drops every
    /// packet (an iptables DROP: a blackhole, not a refusal), while all three consume and publish.
    /// Afterwards every accepted event was handled; the other two instances never had an
    /// acknowledgement refused (a stale one from the cut-off instance would have deleted their
    /// claimed rows: fencing holds); the cut-off instance's publishes failed with a typed error
    /// naming its address, never hung; and its consumer resumed by itself.
    @Suite(
        .enabled(
            if: PostgresTestSupport.isConfigured && getuid() == 0
                && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
                && FileManager.default.isExecutableFile(atPath: "/usr/sbin/iptables"),
            "needs root, iproute2 and iptables (network namespaces), and EVENTBUS_POSTGRES_URL"
        ),
        .timeLimit(.minutes(5)),
        // One namespace and cluster at a time: two would share the two cores' time with the
        // rest of the suite and could pick the same subnet.
        .serialized
    )
    struct PartitionTests {
        /// The namespace, its links and the cluster inside it, named after the cluster's port.
        struct Network {
            let port: Int
            var namespace: String { "ebpart\(port)" }
            /// The second octet of the links' subnets (10.N.i.0/24), from the port.
            var octet: Int { 20 + port % 200 }
            func host(_ link: Int) -> String { "ebh\(link)-\(port)" }
            func server(_ link: Int) -> String { "10.\(octet).\(link).2" }

            /// Makes the namespace and three links, and starts the cluster in it.
            var up: String {
                var lines = ["set -e", "ip netns add \(namespace)", "ip netns exec \(namespace) ip link set lo up"]
                for link in 1...3 {
                    let peer = "ebn\(link)-\(port)"
                    lines += [
                        "ip link add \(host(link)) type veth peer name \(peer)",
                        "ip link set \(peer) netns \(namespace)",
                        "ip addr add 10.\(octet).\(link).1/24 dev \(host(link))",
                        "ip link set \(host(link)) up",
                        "ip netns exec \(namespace) ip addr add \(server(link))/24 dev \(peer)",
                        "ip netns exec \(namespace) ip link set \(peer) up",
                    ]
                }
                let listen = (1...3).map(server).joined(separator: ",")
                lines.append(
                    "ip netns exec \(namespace) env EVENTBUS_POSTGRES_PORT=\(port) EVENTBUS_POSTGRES_POOLER=0 "
                        + "EVENTBUS_POSTGRES_LISTEN=\(listen) bash '\(StoppedServerTests.script)' start"
                )
                return lines.joined(separator: "\n")
            }

            /// Stops the cluster, removes the rules and the namespace (its links go with it).
            var down: String {
                """
                iptables -D OUTPUT -o \(host(1)) -j DROP 2>/dev/null
                iptables -D INPUT -i \(host(1)) -j DROP 2>/dev/null
                ip netns exec \(namespace) env EVENTBUS_POSTGRES_PORT=\(port) EVENTBUS_POSTGRES_POOLER=0 \
                bash '\(StoppedServerTests.script)' stop
                ip netns del \(namespace)
                true
                """
            }
        }

        /// Notes a step in the test's output, so that a run stopped by the time limit says where
        /// it was.
        static func mark(_ network: Network, _ step: String) {
            print("partition \(network.port) \(Date()): \(step)")
        }

        /// What the instances did: events handled (by instance), publishes accepted, and the
        /// cut-off instance's publish errors.
        final class Tally: Sendable {
            private struct State {
                var handled: [[Int]] = [[], [], []]
                var accepted: Set<Int> = []
                var errors: [String] = []
                var unknown: Set<Int> = []
            }

            private let state = Locked(State())

            func handled(_ id: Int, by instance: Int) { state.withLock { $0.handled[instance].append(id) } }
            func accepted(_ id: Int) { _ = state.withLock { $0.accepted.insert(id) } }
            func failed(_ text: String, unknown: [Int]) {
                state.withLock {
                    $0.errors.append(text)
                    $0.unknown.formUnion(unknown)
                }
            }

            func handled(by instance: Int) -> [Int] { state.withLock { $0.handled[instance] } }
            var allHandled: Set<Int> { state.withLock { Set($0.handled.joined()) } }
            var accepted: Set<Int> { state.withLock { $0.accepted } }
            var errors: [String] { state.withLock { $0.errors } }
        }

        @Test func threeInstancesAcrossALinkThatGoesDownTwiceAndThenDropsEverything() async throws {
            let network = Network(port: try FailureBoundTests.closedPort())
            try await StoppedServerTests.shell(network.up, log: "partition-\(network.port)")
            do {
                try await withClients(network) { clients in try await partition(network, clients: clients) }
            } catch {
                try? await StoppedServerTests.shell(network.down, log: "partition-\(network.port)")
                throw error
            }
            try await StoppedServerTests.shell(network.down, log: "partition-\(network.port)")
        }

        /// The same partition for the point-to-point and request verbs: a stored queue that the
        /// three instances send to and consume from, and requests from the cut-off instance to a
        /// responder on another. While its link is down, its sends and requests fail with a typed
        /// error (never hang, never succeed); afterwards every accepted send was handled at least
        /// once, and its requests are answered again without a restart (its LISTEN came back).
        @Test func sendsAndRequestsAcrossALinkThatGoesDown() async throws {
            let network = Network(port: try FailureBoundTests.closedPort())
            try await StoppedServerTests.shell(network.up, log: "partition-\(network.port)")
            do {
                try await withClients(network) { clients in try await verbs(network, clients: clients) }
            } catch {
                try? await StoppedServerTests.shell(network.down, log: "partition-\(network.port)")
                throw error
            }
            try await StoppedServerTests.shell(network.down, log: "partition-\(network.port)")
        }

        /// Runs `body` with a running client per link.
        private func withClients(
            _ network: Network,
            _ body: @Sendable ([PostgresClient]) async throws -> Void
        ) async throws {
            let configuration = try PostgresTestSupport.configuration()
            let clients = (1...3).map { link in
                PostgresClient(
                    configuration: PostgresClient.Configuration(
                        host: network.server(link),
                        port: network.port,
                        username: configuration.username,
                        password: nil,
                        database: configuration.database,
                        tls: .disable
                    )
                )
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in clients { group.addTask { await client.run() } }
                defer { group.cancelAll() }
                try await body(clients)
            }
        }

        private func verbs(_ network: Network, clients: [PostgresClient]) async throws {
            let schema = PostgresTestSupport.freshSchema()
            let lease = Duration.seconds(3)
            _ = try await PostgresGroups(clients[1], schema: schema).migrate()
            let transports = (1...3).map { link in
                Transport.postgres(
                    clients[link - 1],
                    schema: schema,
                    options: PostgresStoreOptions(
                        batchSize: 8,
                        lease: lease,
                        pollInterval: .milliseconds(100),
                        operationTimeout: .seconds(1),
                        server: "\(network.server(link)):\(network.port)"
                    )
                )
            }
            let buses = transports.map { Bus(configuration: BusConfiguration(durableStore: $0.store, transport: $0)) }
            let stores = try transports.map { try #require($0.store) }
            let tally = Tally()
            for (instance, bus) in buses.enumerated() {
                try await bus.consume(
                    OrderPlaced.self,
                    from: "jobs",
                    mailbox: .durable(name: "jobs", store: stores[instance])
                ) { tally.handled($0.id, by: instance) }
            }
            try buses[1].respond(GetQuote.self) { request in request.symbol.count }
            // The responder is known to the first instance once a request is answered.
            try await PostgresTestSupport.eventually {
                (try? await buses[0].request(GetQuote(symbol: "AB"), timeout: .seconds(2))) == 2
            }
            // Each instance sends a job every 20 ms (ids: instance × 1,000,000 + n).
            let stop = Locked(false)
            let senders = buses.enumerated().map { instance, bus in
                Task {
                    var next = 0
                    while !stop.withLock({ $0 }) {
                        let id = instance * 1_000_000 + next
                        next += 1
                        do {
                            try await bus.send(OrderPlaced(id: id), to: "jobs")
                            tally.accepted(id)
                        } catch {
                            tally.failed("\(error)", unknown: [])
                        }
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
            try await PostgresTestSupport.eventually { (0..<3).allSatisfy { !tally.handled(by: $0).isEmpty } }
            for _ in 1...2 {
                try await StoppedServerTests.shell("ip link set \(network.host(1)) down", log: "partition")
                Self.mark(network, "link down; a request from the cut-off instance")
                // A request from the cut-off instance fails, typed, within its timeout at most.
                await #expect {
                    try await buses[0].request(GetQuote(symbol: "ABC"), timeout: .seconds(2))
                } throws: { error in
                    error is BusError || error is PostgresStoreError
                }
                try await Task.sleep(for: lease * 2)
                try await StoppedServerTests.shell("ip link set \(network.host(1)) up", log: "partition")
                Self.mark(network, "link up; waiting for a request to be answered")
                // Answered again without a restart: its LISTEN connection came back.
                try await PostgresTestSupport.eventually {
                    (try? await buses[0].request(GetQuote(symbol: "ABCD"), timeout: .seconds(2))) == 4
                }
                let before = tally.handled(by: 0).count
                try await PostgresTestSupport.eventually { tally.handled(by: 0).count > before }
            }
            stop.withLock { $0 = true }
            Self.mark(network, "stopping the senders")
            for sender in senders { await sender.value }
            Self.mark(network, "waiting for every accepted send")

            // Every accepted send was handled at least once, by some instance.
            try await PostgresTestSupport.eventually { tally.accepted.isSubset(of: tally.allHandled) }
            // The cut-off instance's sends failed while it was cut off, typed and named.
            let errors = tally.errors
            #expect(!errors.isEmpty)
            for error in errors {
                #expect(error.contains(network.server(1)), "\(error)")
                #expect(!error.contains("Generic description"), "\(error)")
            }
            for bus in buses { await bus.shutdown(draining: .zero) }
        }

        private func partition(_ network: Network, clients: [PostgresClient]) async throws {
            let schema = PostgresTestSupport.freshSchema()
            let lease = Duration.seconds(3)
            let stores = (1...3).map { link in
                DurableStore.postgres(
                    clients[link - 1],
                    schema: schema,
                    options: PostgresStoreOptions(
                        batchSize: 8,
                        lease: lease,
                        pollInterval: .milliseconds(100),
                        operationTimeout: .seconds(1),
                        server: "\(network.server(link)):\(network.port)"
                    )
                )
            }
            // The schema first, without a tight bound.
            _ = try await PostgresGroups(clients[1], schema: schema).migrate()
            let tally = Tally()
            let buses = (0..<3).map { _ in Bus() }
            var consumers: [Consumer<OrderPlaced>] = []
            for (instance, bus) in buses.enumerated() {
                consumers.append(
                    try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "orders", store: stores[instance]))
                    {
                        tally.handled($0.id, by: instance)
                    }
                )
            }
            // A group only the first instance consumes: that it resumes by itself shows there.
            let resumed = Recorder()
            try await buses[0].consume(ParcelShipped.self, mailbox: .durable(name: "only-a", store: stores[0])) {
                await resumed.record($0.id)
            }
            try await buses[1].declareMailbox(.durable(name: "only-a", store: stores[1]), for: ParcelShipped.self)
            // Each instance publishes an event every 20 ms (ids: instance × 1,000,000 + n).
            let stop = Locked(false)
            let publishers = buses.enumerated().map { instance, bus in
                Task {
                    var next = 0
                    while !stop.withLock({ $0 }) {
                        let id = instance * 1_000_000 + next
                        next += 1
                        do {
                            try await bus.publish(OrderPlaced(id: id))
                            tally.accepted(id)
                        } catch BusError.outcomeUnknown(let report) {
                            tally.failed("\(BusError.outcomeUnknown(report))", unknown: [id])
                        } catch {
                            tally.failed("\(error)", unknown: [])
                        }
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
            Self.mark(network, "publishing; waiting for every instance to handle one")
            try await PostgresTestSupport.eventually { (0..<3).allSatisfy { !tally.handled(by: $0).isEmpty } }
            // Twice: the first instance's link is down for longer than its lease.
            for _ in 1...2 {
                try await StoppedServerTests.shell("ip link set \(network.host(1)) down", log: "partition")
                try await Task.sleep(for: lease * 2)
                try await StoppedServerTests.shell("ip link set \(network.host(1)) up", log: "partition")
                Self.mark(network, "link up; waiting for the first instance to handle again")
                let before = tally.handled(by: 0).count
                try await PostgresTestSupport.eventually { tally.handled(by: 0).count > before }
            }
            // Then every packet is dropped: nothing is refused, statements get no answer.
            let blackhole =
                "iptables -I OUTPUT -o \(network.host(1)) -j DROP && iptables -I INPUT -i \(network.host(1)) -j DROP"
            // A LISTEN connection that started after this moment was made after the blackhole
            // was lifted (nothing reaches the server while it holds).
            var cut = ""
            for try await now in try await clients[1].query("SELECT now()::text").decode(String.self) { cut = now }
            try await StoppedServerTests.shell(blackhole, log: "partition")
            try await Task.sleep(for: lease * 2)
            try await StoppedServerTests.shell(
                "iptables -D OUTPUT -o \(network.host(1)) -j DROP && iptables -D INPUT -i \(network.host(1)) -j DROP",
                log: "partition"
            )
            // The cut-off instance's consumer resumes by itself (no restart).
            Self.mark(network, "blackhole lifted; waiting for the first instance's own group")
            try await buses[1].publish(ParcelShipped(id: 1))
            try await PostgresTestSupport.eventually { await resumed.ids.contains(1) }
            Self.mark(network, "waiting for its LISTEN connection")
            // And its LISTEN connection is made again (the one from before stays silent until the
            // server's TCP gives up on it).
            let instanceAddress = "10.\(network.octet).1.1"
            let since = cut
            try await PostgresTestSupport.eventually {
                var listening = 0
                for try await count in try await clients[1].query(
                    """
                    SELECT count(*)::bigint FROM pg_stat_activity
                    WHERE client_addr = \(instanceAddress)::inet
                        AND (query LIKE 'LISTEN%' OR query LIKE 'SELECT 1 -- eventbus: LISTEN%')
                        AND backend_start > \(since)::timestamptz
                    """
                ).decode(Int64.self) {
                    listening = Int(count)
                }
                return listening > 0
            }
            stop.withLock { $0 = true }
            Self.mark(network, "stopping the publishers")
            for publisher in publishers { await publisher.value }
            Self.mark(network, "waiting for every accepted event")

            // Every accepted event was handled at least once.
            try await PostgresTestSupport.eventually { tally.accepted.isSubset(of: tally.allHandled) }
            // The cut-off instance's publishes failed while it was cut off, typed and named.
            let errors = tally.errors
            #expect(!errors.isEmpty)
            let address = network.server(1)
            for error in errors {
                #expect(error.contains(address), "\(error)")
                #expect(!error.contains("Generic description"), "\(error)")
            }
            // Fencing: the instances that were never cut off had every acknowledgement counted —
            // a stale one of the cut-off instance never took a row they had claimed.
            let counted = consumers
            Self.mark(network, "waiting for the acknowledgement counts")
            try await PostgresTestSupport.eventually {
                (1...2).allSatisfy { counted[$0].metrics().acked == UInt64(tally.handled(by: $0).count) }
            }
            for bus in buses { await bus.shutdown(draining: .zero) }
        }
    }
#endif
