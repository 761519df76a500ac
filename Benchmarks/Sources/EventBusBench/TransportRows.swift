import EventBus
import EventBusPostgres
import Foundation
import PostgresNIO
import Synchronization

/// A request of the transport rows: answered at once by the other instance.
struct BenchQuote: Request, Codable {
    typealias Response = Int
    let value: Int
}

/// A broadcast of the transport rows, stamped with its send time.
struct BenchBroadcast: Event, Codable {
    let value: Int
    let sentAt: UInt64
}

// The bus across instances on PostgreSQL (`Transport.postgres`): request-reply and broadcast
// latency between two instances, beside the `pg-` rows of consumer groups.
extension PostgresBench {
    /// The rows of this file, in the table's order.
    static let transportRowNames = ["pg-request-latency", "pg-broadcast-latency"]

    /// Its rows, as the suite lists them.
    var transportCases: [Suite.Case] {
        [
            ("pg-request-latency", 1, { try await requestLatencyRow() }),
            ("pg-broadcast-latency", 1, { try await broadcastLatencyRow() }),
        ]
    }

    /// Two instances (a bus with a client and transport each) on a fresh schema.
    private func withTransports<T: Sendable>(
        _ body: @Sendable (_ first: Bus, _ second: Bus, _ client: PostgresClient, _ schema: String) async throws -> T
    ) async throws -> T {
        try await withClients(2) { clients in
            let schema = Self.freshSchema()
            let buses = clients.map { client in
                Bus(configuration: BusConfiguration(transport: Transport.postgres(client, schema: schema)))
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(buses[0], buses[1], clients[0], schema))
            } catch {
                result = .failure(error)
            }
            for bus in buses { await bus.shutdown(draining: .zero) }
            try await Self.drop(schema, clients[0])
            return try result.get()
        }
    }

    /// Request→reply across instances: instance A requests, one at a time, and instance B's
    /// responder answers at once; latency = the whole round trip (the statement that picks the
    /// responder and notifies it, B's LISTEN, B's reply notification, A's LISTEN).
    func requestLatencyRow() async throws -> Bench.Row {
        try await withTransports { asker, answerer, client, schema in
            try answerer.respond(BenchQuote.self) { request in request.value + 1 }
            // Registered for the other instance once the transport receives.
            // (The table exists once the answering instance's transport prepared the schema.)
            while (try? await Self.count(client, "SELECT 1 FROM \(unescaped: "\"\(schema)\"").responders")) ?? 0 == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            for value in 0..<20 { _ = try await asker.request(BenchQuote(value: value), timeout: .seconds(10)) }
            let latencies = Latencies()
            let start = ContinuousClock.now
            for value in 0..<latencyEvents {
                let sent = Monotonic.now()
                _ = try await asker.request(BenchQuote(value: value), timeout: .seconds(10))
                latencies.add(Monotonic.now() &- sent)
            }
            let elapsed = ContinuousClock.now - start
            return Self.latencyRow(
                latencies.sorted,
                note: "request→reply across 2 instances (NOTIFY there and back), %d requests one at a time, %.0f/s",
                count: latencyEvents,
                rate: Double(latencyEvents) / Self.seconds(elapsed)
            )
        }
    }

    /// Publish→handler across instances for a declared broadcast: instance A publishes one every
    /// `latencyInterval`, instance B's callback notes the time.
    func broadcastLatencyRow() async throws -> Bench.Row {
        try await withTransports { publisher, receiver, _, _ in
            try await publisher.declareBroadcast(BenchBroadcast.self)
            try await receiver.declareBroadcast(BenchBroadcast.self)
            let latencies = Latencies()
            let warmUp = 20
            let completion = Completion(target: warmUp + latencyEvents)
            try receiver.on(BenchBroadcast.self) { event in
                if event.value >= 0 { latencies.add(Monotonic.now() &- event.sentAt) }
                completion.add()
            }
            for value in 0..<warmUp { try await publisher.publish(BenchBroadcast(value: -1 - value, sentAt: 0)) }
            let start = ContinuousClock.now
            for value in 0..<latencyEvents {
                let due = start + latencyInterval * value
                if due > .now { try await Task.sleep(until: due, clock: .continuous) }
                try await publisher.publish(BenchBroadcast(value: value, sentAt: Monotonic.now()))
            }
            let published = ContinuousClock.now - start
            let drained = await completion.wait(timeout: .seconds(60))
            var row = Self.latencyRow(
                latencies.sorted,
                note: "publish→callback across 2 instances (a broadcast, NOTIFY), %d events, %.0f/s",
                count: latencyEvents,
                rate: Double(latencyEvents) / Self.seconds(published)
            )
            if !drained { row.note += "; TIMED OUT after \(completion.count - warmUp) events (at-most-once)" }
            return row
        }
    }

    /// A latency row: p50, p99 and the maximum in the note, the percentiles in the JSON.
    private static func latencyRow(_ sorted: [UInt64], note: String, count: Int, rate: Double) -> Bench.Row {
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)])
        }
        var row = Bench.Row(
            name: "",
            nsPerEvent: 0,
            deliveries: 1,
            note: String(format: note, count, rate)
                + String(
                    format: ": p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                    percentile(0.5) / 1e6,
                    percentile(0.99) / 1e6,
                    Double(sorted.last ?? 0) / 1e6
                )
        )
        row.latency = Bench.Latency(p50: percentile(0.5), p99: percentile(0.99), p999: percentile(0.999))
        return row
    }
}
