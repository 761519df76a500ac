import EventBus
import EventBusPostgres
import Foundation
import PostgresNIO

/// `eventbus-bench --retention EVENTS`: whether a consumer group's tables stay small while they
/// carry many events (issue 29). One publisher and two consumer instances run together; events
/// go through the group in rounds of 50,000 (published in batches of 500, drained by the
/// consumers), and the sizes of `deliveries` and `acknowledged` (table and indexes, as
/// `pg_relation_size` and `pg_indexes_size` report them, with `n_dead_tup`) are printed after
/// 100,000 events and after every further million, and at the end. Autovacuum does what it does
/// on its own (the store's settings from migration 1 and 3); nothing runs `VACUUM FULL`. Not in CI:
/// several million events take a while. The group has no dedup window: acknowledged rows are
/// deleted (a group with a window keeps each as a tombstone for a minute, and its id in
/// `acknowledged` for the window).
struct RetentionMode: Sendable {
    let bench: PostgresBench
    let events: Int

    static let round = 50_000

    func run() async throws {
        try await bench.withClients(3) { clients in
            let schema = PostgresBench.freshSchema()
            let mailbox = { (client: PostgresClient) in
                Mailbox.durable(name: PostgresBench.group, store: .postgres(client, schema: schema))
            }
            let publisher = Bus()
            try await publisher.declareMailbox(mailbox(clients[0]), for: GroupBenchEvent.self)
            let handled = Completion(target: events)
            let consumers = [Bus(), Bus()]
            for (bus, client) in zip(consumers, clients.dropFirst()) {
                try await bus.consume(GroupBenchEvent.self, mailbox: mailbox(client)) { _ in handled.add() }
            }
            print(
                "events carried  deliveries table  its indexes  dead tuples  acknowledged table  its indexes  pending"
            )
            let start = ContinuousClock.now
            var published = 0
            var next = 100_000
            while published < events {
                let count = min(Self.round, events - published)
                for first in stride(from: published, to: published + count, by: PostgresBench.publishBatch) {
                    let batch = (first..<min(first + PostgresBench.publishBatch, published + count)).map {
                        GroupBenchEvent(value: $0, sentAt: 0)
                    }
                    try await publisher.publish(contentsOf: batch)
                }
                published += count
                while handled.count < published { try await Task.sleep(for: .milliseconds(100)) }
                if published >= next || published == events {
                    try await report(published, schema: schema, client: clients[0])
                    next = next < 1_000_000 ? 1_000_000 : next + 1_000_000
                }
            }
            let elapsed = ContinuousClock.now - start
            print("\(events.formatted()) events in \(elapsed) (publish and drain together)")
            for bus in consumers { await bus.shutdown(draining: .zero) }
            await publisher.shutdown(draining: .zero)
            try await PostgresBench.drop(schema, clients[0])
        }
    }

    /// One line of sizes, in kB.
    private func report(_ carried: Int, schema: String, client: PostgresClient) async throws {
        let deliveries = "\"\(schema)\".deliveries"
        let acknowledged = "\"\(schema)\".acknowledged"
        var line = ""
        for try await (table, indexes, dead, ackTable, ackIndexes, pending) in try await client.query(
            """
            SELECT pg_relation_size(\(deliveries)::regclass) / 1024, pg_indexes_size(\(deliveries)::regclass) / 1024,
                (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = \(deliveries)::regclass),
                pg_relation_size(\(acknowledged)::regclass) / 1024, pg_indexes_size(\(acknowledged)::regclass) / 1024,
                (SELECT count(*) FROM \(unescaped: deliveries))
            """
        ).decode((Int64, Int64, Int64, Int64, Int64, Int64).self) {
            line = String(
                format: "%14@  %14lld kB  %8lld kB  %11lld  %15lld kB  %8lld kB  %7lld",
                carried.formatted() as NSString,
                table,
                indexes,
                dead,
                ackTable,
                ackIndexes,
                pending
            )
        }
        print(line)
    }
}
