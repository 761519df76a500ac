import EventBus
import Foundation

/// The inline callback and the batch rows: what one publish costs when the subscriber runs on the
/// publisher, and what an event costs inside a `publish(contentsOf:)` of 1,000.
extension Suite {
    /// Events per `publish(contentsOf:)` in the `batch-` rows.
    static let batchSize = 1_000

    /// `n` publishes to `count` inline callbacks (`on(_:inline: true)`): run on the publisher,
    /// synchronously, as an OpenCombine sink is.
    func inlineCallbacks(_ n: Int, count: Int) async throws -> Bench.Row {
        let bus = Bus()
        let counter = Counter()
        for _ in 0..<count {
            try bus.on(BenchEvent.self, inline: true) { event in if event.value < 0 { counter.add() } }
        }
        let ns = try await nanoseconds(n) {
            for value in 0..<n { try await bus.publish(BenchEvent(value: value)) }
        }
        await bus.shutdown()
        return row("", ns, deliveries: count)
    }

    /// The batches of `n` events: values `0..<n` cut in `publish(contentsOf:)` calls of ``batchSize``.
    func batches(_ n: Int) -> [[BenchEvent]] {
        stride(from: 0, to: n, by: Self.batchSize).map { start in
            (start..<min(n, start + Self.batchSize)).map { BenchEvent(value: $0) }
        }
    }

    /// `n` events in batches of 1,000 to one observer.
    func batchObservers(_ n: Int) async throws -> Bench.Row {
        let bus = Bus()
        let handler = BenchObserver()
        try bus.register(handler)
        let batches = batches(n)
        let ns = try await nanoseconds(n) {
            for batch in batches { try await bus.publish(contentsOf: batch) }
        }
        withExtendedLifetime(handler) {}
        await bus.shutdown()
        return row("", ns, note: "publish(contentsOf:) of 1,000")
    }

    /// `n` events in batches of 1,000 to one mailbox whose subscriber counts them.
    func batchMailboxes(_ n: Int) async throws -> Bench.Row {
        let bus = Bus()
        let mailbox = try await bus.subscribe(
            BenchEvent.self,
            mailbox: .memory(.bounded(65_536, overflow: .suspendPublisher))
        )
        let consumer = Task {
            var seen = 0
            for try await _ in mailbox {
                seen += 1
                if seen == n { break }
            }
        }
        let batches = batches(n)
        let ns = try await nanoseconds(n) {
            for batch in batches { try await bus.publish(contentsOf: batch) }
            try await consumer.value
        }
        await bus.shutdown()
        return row("", ns, note: "publish(contentsOf:) of 1,000")
    }

    /// `n` events in batches of 1,000 to one callback (its own queue).
    func batchCallbacks(_ n: Int) async throws -> Bench.Row {
        let bus = Bus(configuration: BusConfiguration(callbackCapacity: .unbounded))
        let counter = Counter()
        try bus.on(BenchEvent.self) { _ in counter.add() }
        let batches = batches(n)
        let ns = try await nanoseconds(n) {
            for batch in batches { try await bus.publish(contentsOf: batch) }
            await bus.waitUntilIdle()
        }
        await bus.shutdown()
        return row("", ns, note: "publish(contentsOf:) of 1,000")
    }
}
