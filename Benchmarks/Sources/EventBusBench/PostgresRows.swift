import CommandLineSupport
import EventBus
import EventBusPostgres
import Foundation
import PostgresNIO
import Synchronization

/// The event of the `pg-` rows: a value and, for `pg-latency`, when it was published (nanoseconds
/// on ``Monotonic``).
struct GroupBenchEvent: Event, Codable {
    static let eventName = "bench.group"
    let value: Int
    let sentAt: UInt64
}

/// Nanoseconds since the first call, on the continuous clock: the publisher and the handler of
/// `pg-latency` are in one process, so their readings compare.
enum Monotonic {
    static let origin = ContinuousClock.now

    static func now() -> UInt64 {
        let elapsed = origin.duration(to: .now).components
        return UInt64(max(0, elapsed.seconds)) * 1_000_000_000 + UInt64(max(0, elapsed.attoseconds) / 1_000_000_000)
    }
}

/// Counts handled events and says when `target` were handled.
final class Completion: Sendable {
    let target: Int
    let handled = Atomic<Int>(0)
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init(target: Int) {
        self.target = target
        (stream, continuation) = AsyncStream<Void>.makeStream()
    }

    func add() {
        if handled.add(1, ordering: .relaxed).newValue == target {
            continuation.yield()
            continuation.finish()
        }
    }

    var count: Int { handled.load(ordering: .relaxed) }

    /// Waits until `target` events were handled or `timeout` passed; whether they were.
    func wait(timeout: Duration) async -> Bool {
        let timer = Task { [continuation] in
            try? await Task.sleep(for: timeout)
            continuation.finish()
        }
        for await _ in stream { break }
        timer.cancel()
        return count >= target
    }
}

/// The publish→handler latencies of `pg-latency`, in nanoseconds.
final class Latencies: Sendable {
    private let values = Mutex<[UInt64]>([])

    func add(_ value: UInt64) { values.withLock { $0.append(value) } }

    var sorted: [UInt64] { values.withLock { $0 }.sorted() }
}

/// Consumer groups on PostgreSQL (the server of `EVENTBUS_POSTGRES_URL`), beside the same SQL written
/// directly against postgres-nio on the same server: the floor. An "instance" is a `Bus` with its
/// own `PostgresClient` (its own pool) and store, as separate server processes look to the
/// database. Every sample runs in a fresh schema, made by the store's own migration and dropped at
/// the end.
struct PostgresBench: Sendable {
    /// The names of the rows, in the table's order.
    static let rowNames =
        [
            "pg-publish-batched", "pg-raw-insert-batched",
            "pg-group-1-instance", "pg-group-4-instances",
            "pg-group-1-instance-settle-1", "pg-group-4-instances-settle-1",
            "pg-raw-claim-ack-1", "pg-raw-claim-ack-4",
            "pg-raw-claim-batch-ack-1", "pg-raw-claim-batch-ack-4",
            "pg-latency",
        ] + transportRowNames

    /// The group every row uses.
    static let group = "bench"
    /// Events per `publish(contentsOf:)` (and per transaction of the raw inserts).
    static let publishBatch = 500
    /// Events a claim takes: the store's default.
    static let claimBatch = 16

    let configuration: PostgresClient.Configuration
    /// Events per throughput sample.
    let events: Int
    /// Events per latency sample, one every `latencyInterval`.
    let latencyEvents: Int
    let latencyInterval: Duration

    /// The server of `EVENTBUS_POSTGRES_URL` (postgres://user[:password]@host[:port]/database),
    /// or why the rows are skipped.
    static func fromEnvironment(scale: Int) -> Result<PostgresBench, SkipReason> {
        guard let text = ProcessInfo.processInfo.environment["EVENTBUS_POSTGRES_URL"] else {
            return .failure(
                SkipReason(
                    "EVENTBUS_POSTGRES_URL is not set (start a server: eval \"$(bash .ci/postgres start)\")"
                )
            )
        }
        // The CLI's tested parser (percent-decoding, port, sslmode); the bench server is local.
        let url: PostgresURL
        do {
            url = try PostgresURL(parsing: text)
        } catch {
            return .failure(SkipReason("EVENTBUS_POSTGRES_URL: \(error)"))
        }
        let configuration = PostgresClient.Configuration(
            host: url.host,
            port: url.port,
            username: url.user,
            password: url.password,
            database: url.database,
            tls: .disable
        )
        return .success(
            PostgresBench(
                configuration: configuration,
                events: 4_000 * scale,
                latencyEvents: 200 * scale,
                latencyInterval: .milliseconds(2)
            )
        )
    }

    /// Why the `pg-` rows did not run.
    struct SkipReason: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// Every row, as the suite lists them.
    var cases: [Suite.Case] {
        [
            ("pg-publish-batched", 1, { try await publishRow(raw: false) }),
            ("pg-raw-insert-batched", 1, { try await publishRow(raw: true) }),
            ("pg-group-1-instance", 1, { try await groupRow(instances: 1) }),
            ("pg-group-4-instances", 1, { try await groupRow(instances: 4) }),
            ("pg-group-1-instance-settle-1", 1, { try await groupRow(instances: 1, settleBatchSize: 1) }),
            ("pg-group-4-instances-settle-1", 1, { try await groupRow(instances: 4, settleBatchSize: 1) }),
            ("pg-raw-claim-ack-1", 1, { try await rawClaimRow(workers: 1, batchAck: false) }),
            ("pg-raw-claim-ack-4", 1, { try await rawClaimRow(workers: 4, batchAck: false) }),
            ("pg-raw-claim-batch-ack-1", 1, { try await rawClaimRow(workers: 1, batchAck: true) }),
            ("pg-raw-claim-batch-ack-4", 1, { try await rawClaimRow(workers: 4, batchAck: true) }),
            ("pg-latency", 1, { try await latencyRow() }),
        ] + transportCases
    }

    // MARK: Rows

    /// `events` published by one instance with `publish(contentsOf:)` in batches of
    /// ``publishBatch`` (one statement each: an `INSERT … SELECT` from `unnest` of the batch, its
    /// NOTIFY in the same statement), or (`raw`) what the store wrote before (issue 29): one
    /// `INSERT … SELECT` per event and one NOTIFY per transaction of ``publishBatch``, written
    /// against postgres-nio with the bus's stored body.
    func publishRow(raw: Bool) async throws -> Bench.Row {
        try await withClients(1) { clients in
            let client = clients[0]
            let schema = Self.freshSchema()
            let bus = Bus()
            try await bus.declareMailbox(
                .durable(name: Self.group, store: .postgres(client, schema: schema)),
                for: GroupBenchEvent.self
            )
            let elapsed: Duration
            if raw {
                // The body one event of the bus stores, so that both rows write the same bytes.
                try await bus.publish(GroupBenchEvent(value: -1, sentAt: 0))
                var body = ByteBuffer()
                for try await stored in try await client.query(
                    "SELECT body FROM \(unescaped: Self.deliveries(schema)) LIMIT 1"
                ).decode(ByteBuffer.self) {
                    body = stored
                }
                try await client.query("DELETE FROM \(unescaped: Self.deliveries(schema))")
                elapsed = try await Self.time { try await rawInsert(client, schema: schema, body: body) }
            } else {
                elapsed = try await Self.time { try await preload(bus) }
            }
            await bus.shutdown(draining: .zero)
            try await Self.drop(schema, client)
            let note =
                raw
                ? "the statements before issue 29: INSERT … SELECT per event + one NOTIFY per transaction of "
                    + "\(Self.publishBatch), postgres-nio, the bus's body bytes"
                : "1 publisher, publish(contentsOf:) × \(Self.publishBatch) (one statement each), JSON included"
            return Bench.Row(name: "", nsPerEvent: Self.perEvent(elapsed, events), deliveries: 1, note: note)
        }
    }

    /// `events` preloaded (not timed), then drained by `instances` consumer buses, each with its
    /// own client and store; timed from the first `consume` until the last event was handled.
    /// Settlements are written `settleBatchSize` at a time (the store's default 32; 1: one
    /// statement and commit per event, as before issue 29).
    func groupRow(
        instances: Int,
        settleBatchSize: Int = PostgresStoreOptions().settleBatchSize
    ) async throws
        -> Bench.Row
    {
        try await withClients(instances + 1) { clients in
            let schema = Self.freshSchema()
            let publisher = Bus()
            try await publisher.declareMailbox(
                .durable(name: Self.group, store: .postgres(clients[0], schema: schema)),
                for: GroupBenchEvent.self
            )
            try await preload(publisher)
            try await Self.analyze(schema, clients[0])
            let completion = Completion(target: events)
            let consumers = clients.dropFirst().map { _ in Bus() }
            let options = PostgresStoreOptions(settleBatchSize: settleBatchSize)
            let stores = clients.dropFirst().map { DurableStore.postgres($0, schema: schema, options: options) }
            let start = ContinuousClock.now
            for (bus, store) in zip(consumers, stores) {
                try await bus.consume(GroupBenchEvent.self, mailbox: .durable(name: Self.group, store: store)) {
                    _ in completion.add()
                }
            }
            let drained = await completion.wait(timeout: .seconds(600))
            let elapsed = ContinuousClock.now - start
            for bus in consumers { await bus.shutdown(draining: .zero) }
            await publisher.shutdown(draining: .zero)
            try await Self.drop(schema, clients[0])
            var note =
                "\(events.formatted()) events preloaded and analyzed, \(instances) instance\(instances == 1 ? "" : "s") "
                + "(bus + client + store each), claims of \(Self.claimBatch), settled \(settleBatchSize) per "
                + "statement, JSON decode included"
            if !drained { note += "; TIMED OUT after \(completion.count) events" }
            return Bench.Row(
                name: "",
                nsPerEvent: Self.perEvent(elapsed, max(1, completion.count)),
                deliveries: 1,
                note: note
            )
        }
    }

    /// The floor of the group rows: `events` preloaded by the bus (the store's tables, indexes and
    /// bodies), then drained by `workers` loops written against postgres-nio, each with its own
    /// client: the store's claim statement (same CTE, batch of ``claimBatch``), then one fenced
    /// `DELETE` per event as the store acknowledges, or (`batchAck`) one `DELETE … = ANY` per claim.
    func rawClaimRow(workers: Int, batchAck: Bool) async throws -> Bench.Row {
        try await withClients(workers + 1) { clients in
            let schema = Self.freshSchema()
            let publisher = Bus()
            try await publisher.declareMailbox(
                .durable(name: Self.group, store: .postgres(clients[0], schema: schema)),
                for: GroupBenchEvent.self
            )
            try await preload(publisher)
            try await Self.analyze(schema, clients[0])
            let start = ContinuousClock.now
            let count = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in clients.dropFirst() {
                    group.addTask { try await Self.rawDrain(client, schema: schema, batchAck: batchAck) }
                }
                return try await group.reduce(0, +)
            }
            let elapsed = ContinuousClock.now - start
            await publisher.shutdown(draining: .zero)
            try await Self.drop(schema, clients[0])
            var note =
                "floor: \(events.formatted()) preloaded and analyzed, \(workers) worker\(workers == 1 ? "" : "s") "
                + "(own client each), the store's claim of \(Self.claimBatch) + "
                + (batchAck ? "one DELETE … = ANY per claim" : "one fenced DELETE per event")
            if count != events { note += "; deleted \(count)" }
            return Bench.Row(name: "", nsPerEvent: Self.perEvent(elapsed, max(1, count)), deliveries: 1, note: note)
        }
    }

    /// Publish→handler latency across instances: bus A publishes one event every
    /// `latencyInterval` (each its own transaction, with NOTIFY), bus B (another client and store,
    /// LISTENing) handles them; latency = the handler's time − the time taken just before
    /// `publish`. nsPerEvent is 0: the row's figures are its percentiles.
    func latencyRow() async throws -> Bench.Row {
        try await withClients(2) { clients in
            let schema = Self.freshSchema()
            let consumer = Bus()
            let publisher = Bus()
            let latencies = Latencies()
            // How long each publish took to return (its transaction, committed): the first part of the latency.
            let publishes = Latencies()
            let warmUp = 20
            let completion = Completion(target: warmUp + latencyEvents)
            try await consumer.consume(
                GroupBenchEvent.self,
                mailbox: .durable(name: Self.group, store: .postgres(clients[1], schema: schema))
            ) { event in
                if event.value >= 0 { latencies.add(Monotonic.now() &- event.sentAt) }
                completion.add()
            }
            try await publisher.declareMailbox(
                .durable(name: Self.group, store: .postgres(clients[0], schema: schema)),
                for: GroupBenchEvent.self
            )
            // A few events first, then a pause: the consumer's LISTEN is up and has passed its self-test.
            for value in 0..<warmUp { try await publisher.publish(GroupBenchEvent(value: -1 - value, sentAt: 0)) }
            try await Task.sleep(for: .milliseconds(500))
            let start = ContinuousClock.now
            for value in 0..<latencyEvents {
                let due = start + latencyInterval * value
                if due > .now { try await Task.sleep(until: due, clock: .continuous) }
                let sentAt = Monotonic.now()
                try await publisher.publish(GroupBenchEvent(value: value, sentAt: sentAt))
                publishes.add(Monotonic.now() &- sentAt)
            }
            let published = ContinuousClock.now - start
            let drained = await completion.wait(timeout: .seconds(60))
            await consumer.shutdown(draining: .zero)
            await publisher.shutdown(draining: .zero)
            try await Self.drop(schema, clients[0])
            let sorted = latencies.sorted
            let publishSorted = publishes.sorted
            func percentile(_ p: Double, of sorted: [UInt64]) -> Double {
                guard !sorted.isEmpty else { return 0 }
                return Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)])
            }
            func percentile(_ p: Double) -> Double { percentile(p, of: sorted) }
            let rate = Double(latencyEvents) / Self.seconds(published)
            var row = Bench.Row(
                name: "",
                nsPerEvent: 0,
                deliveries: 1,
                note: String(
                    format: "publish→handler across 2 instances, LISTEN/NOTIFY: p50 %.2f ms, p99 %.2f ms, max %.2f ms "
                        + "(of which the publish's own transaction: p50 %.2f ms, p99 %.2f ms); "
                        + "%d events, one publish (a transaction) every %.0f ms (%.0f/s achieved)",
                    percentile(0.5) / 1e6,
                    percentile(0.99) / 1e6,
                    Double(sorted.last ?? 0) / 1e6,
                    percentile(0.5, of: publishSorted) / 1e6,
                    percentile(0.99, of: publishSorted) / 1e6,
                    latencyEvents,
                    Self.seconds(latencyInterval) * 1e3,
                    rate
                )
            )
            // A wake-up that was missed shows as an event handled only at the next poll.
            let late = sorted.filter { $0 > 1_000_000_000 }.count
            if late > 0 { row.note += "; \(late) event\(late == 1 ? "" : "s") later than 1 s" }
            if !drained { row.note += "; TIMED OUT after \(completion.count - warmUp) events" }
            row.latency = Bench.Latency(p50: percentile(0.5), p99: percentile(0.99), p999: percentile(0.999))
            return row
        }
    }

    // MARK: Helpers

    /// Publishes `events` events through `bus` with `publish(contentsOf:)` in batches of ``publishBatch``.
    func preload(_ bus: Bus) async throws {
        for start in stride(from: 0, to: events, by: Self.publishBatch) {
            let batch = (start..<min(start + Self.publishBatch, events)).map { GroupBenchEvent(value: $0, sentAt: 0) }
            try await bus.publish(contentsOf: batch)
        }
    }

    /// The store's publish, written against postgres-nio: per transaction of ``publishBatch``
    /// events, the store's `INSERT … SELECT` for each, then one NOTIFY.
    func rawInsert(_ client: PostgresClient, schema: String, body: ByteBuffer) async throws {
        let deliveries = Self.deliveries(schema)
        let groups = "\"\(schema)\".groups"
        let deadLetters = "\"\(schema)\".dead_letters"
        let channel = "eventbus_\(schema)"
        let eventName = GroupBenchEvent.eventName
        var logger = Logger(label: "eventbus-bench")
        logger.logLevel = .critical
        for start in stride(from: 0, to: events, by: Self.publishBatch) {
            let ids = (start..<min(start + Self.publishBatch, events)).map { _ in Self.randomID() }
            try await client.withTransaction(logger: logger) { connection in
                var stored: Set<String> = []
                for id in ids {
                    let priority: Int16 = 1
                    let delay = 0.0
                    let orderingKey: String? = nil
                    let rows = try await connection.query(
                        """
                        INSERT INTO \(unescaped: deliveries)
                            (group_name, event_id, event_name, body, priority, visible_at, ordering_key)
                        SELECT g.group_name, \(id), g.event_name, \(body),
                            \(priority), now() + \(delay) * interval '1 second',
                            \(orderingKey)
                        FROM \(unescaped: groups) g
                        WHERE g.event_name = \(eventName)
                            AND NOT EXISTS (SELECT 1 FROM \(unescaped: deadLetters) d
                                WHERE d.group_name = g.group_name AND d.event_id = \(id))
                        ON CONFLICT (group_name, event_id) DO NOTHING
                        RETURNING group_name
                        """,
                        logger: logger
                    )
                    for try await group in rows.decode(String.self) { stored.insert(group) }
                }
                try await connection.query(
                    "SELECT pg_notify(\(channel), g) FROM unnest(\(stored.sorted())::text[]) AS g",
                    logger: logger
                )
            }
        }
    }

    /// One raw worker: claims with the store's statement until a claim comes back empty; the
    /// number of rows it deleted.
    static func rawDrain(_ client: PostgresClient, schema: String, batchAck: Bool) async throws -> Int {
        let deliveries = Self.deliveries(schema)
        let owner = randomID()
        let group = Self.group
        let lease = 30.0
        let limit = claimBatch
        var deleted = 0
        while true {
            let rows = try await client.query(
                """
                WITH next AS (
                    SELECT c.group_name, c.event_id FROM \(unescaped: deliveries) AS c
                    WHERE c.group_name = \(group) AND c.visible_at <= now()
                        AND (c.lease_owner IS NULL OR c.lease_expires_at < now())
                        AND (c.ordering_key IS NULL OR NOT EXISTS (
                            SELECT 1 FROM \(unescaped: deliveries) AS e
                            WHERE e.group_name = c.group_name AND e.ordering_key = c.ordering_key AND e.seq < c.seq))
                    ORDER BY c.priority, c.seq
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED)
                UPDATE \(unescaped: deliveries) AS d
                SET lease_owner = \(owner), lease_expires_at = now() + \(lease) * interval '1 second',
                    claims = d.claims + 1
                FROM next WHERE d.group_name = next.group_name AND d.event_id = next.event_id
                RETURNING d.event_id, d.event_name, d.body, d.attempts, d.claims, d.priority, d.seq
                """
            )
            var ids: [String] = []
            for try await (id, _, _, _, _, _, _) in rows.decode(
                (String, String, ByteBuffer, Int32, Int32, Int16, Int64).self
            ) {
                ids.append(id)
            }
            if ids.isEmpty { return deleted }
            if batchAck {
                deleted += try await count(
                    client,
                    """
                    DELETE FROM \(unescaped: deliveries)
                    WHERE group_name = \(group) AND event_id = ANY(\(ids)) AND lease_owner = \(owner)
                    RETURNING 1
                    """
                )
            } else {
                for id in ids {
                    deleted += try await count(
                        client,
                        """
                        DELETE FROM \(unescaped: deliveries)
                        WHERE group_name = \(group) AND event_id = \(id) AND lease_owner = \(owner)
                        RETURNING 1
                        """
                    )
                }
            }
        }
    }

    /// Runs a statement and counts the rows it returned.
    static func count(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int {
        var count = 0
        for try await _ in try await client.query(query) { count += 1 }
        return count
    }

    /// Runs `body` with `count` running clients, each its own pool, then shuts them down.
    func withClients<T: Sendable>(
        _ count: Int,
        _ body: @Sendable ([PostgresClient]) async throws -> T
    ) async throws -> T {
        let clients = (0..<count).map { _ in PostgresClient(configuration: configuration) }
        let runs = clients.map { client in Task { await client.run() } }
        let result: Result<T, any Error>
        do {
            result = .success(try await body(clients))
        } catch {
            result = .failure(error)
        }
        for run in runs { run.cancel() }
        for run in runs { await run.value }
        return try result.get()
    }

    /// Nanoseconds per event.
    static func perEvent(_ elapsed: Duration, _ n: Int) -> Double {
        (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(n)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func time(_ body: () async throws -> Void) async throws -> Duration {
        let start = ContinuousClock.now
        try await body()
        return ContinuousClock.now - start
    }

    /// `bench_` and 16 random hex digits.
    static func freshSchema() -> String {
        "bench_" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    static func deliveries(_ schema: String) -> String { "\"\(schema)\".deliveries" }

    /// Gives the planner statistics of the preloaded table, as autovacuum does within a minute
    /// (`autovacuum_naptime`): without them the claim reads and sorts every pending row of the
    /// group (a bitmap scan and a sort, about 5 ms per claim for 20,000 rows, instead of 0.1 ms).
    static func analyze(_ schema: String, _ client: PostgresClient) async throws {
        try await client.query("ANALYZE \(unescaped: deliveries(schema))")
    }

    static func drop(_ schema: String, _ client: PostgresClient) async throws {
        try await client.query("DROP SCHEMA IF EXISTS \(unescaped: "\"\(schema)\"") CASCADE")
    }

    /// 32 random hex digits, as long as an event id.
    static func randomID() -> String {
        (0..<2).map { _ in
            let hex = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
