import EventBus
import Foundation
import Synchronization

/// The event of the `latency-` rows: its index and when it was published (``Monotonic``).
struct LatencyEvent: Event {
    let index: Int
    let sentAt: UInt64
}

/// One latency sample per event, written by the handler, read after the run.
final class LatencySamples: Sendable {
    private let values: Mutex<[UInt64]>

    init(capacity: Int) {
        var values: [UInt64] = []
        values.reserveCapacity(capacity)
        self.values = Mutex(values)
    }

    /// Records how long ago `event` was published; called first thing in the handler.
    func record(_ event: LatencyEvent) {
        let now = Monotonic.now()
        values.withLock { $0.append(now &- event.sentAt) }
    }

    var sorted: [UInt64] { values.withLock { $0 }.sorted() }
}

/// A counting signal from a handler to the publisher waiting for it.
final class HandledSignal: Sendable {
    private let state = Mutex<(count: Int, waiter: CheckedContinuation<Void, Never>?)>((0, nil))

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.count += 1
            return nil
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.count > 0 {
                    state.count -= 1
                    return true
                }
                state.waiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// Publish → handler start, one event at a time: the publisher publishes, then waits until the
/// handler has run before it publishes the next, so every event finds its consumer waiting (the
/// wake-up is part of what is measured). `nsPerEvent` is the median.
extension Suite {
    /// Samples per latency row, after ``latencyWarmUp`` unrecorded events.
    var latencyEvents: Int { 4_000 * scale }
    static let latencyWarmUp = 200

    enum LatencyTarget {
        case observer, callback, mailbox, asyncStream
    }

    func latency(_ target: LatencyTarget) async throws -> Bench.Row {
        let total = Self.latencyWarmUp + latencyEvents
        let samples = LatencySamples(capacity: total)
        let handled = HandledSignal()
        func handle(_ event: LatencyEvent) {
            if event.index >= Self.latencyWarmUp { samples.record(event) }
            handled.signal()
        }
        func event(_ index: Int) -> LatencyEvent { LatencyEvent(index: index, sentAt: Monotonic.now()) }
        allocations?.start()
        defer { allocations?.stop(events: total) }
        switch target {
        case .observer:
            let bus = Bus()
            let observer = LatencyObserver(samples)
            try bus.register(observer)
            for index in 0..<total { try await bus.publish(event(index)) }
            withExtendedLifetime(observer) {}
            await bus.shutdown()
        case .callback:
            let bus = Bus()
            try bus.on(LatencyEvent.self) { handle($0) }
            for index in 0..<total {
                try await bus.publish(event(index))
                await handled.wait()
            }
            await bus.shutdown()
        case .mailbox:
            let bus = Bus()
            let mailbox = try await bus.subscribe(LatencyEvent.self)
            let consumer = Task {
                for try await delivery in mailbox {
                    handle(delivery.event)
                    if delivery.event.index == total - 1 { break }
                }
            }
            for index in 0..<total {
                try await bus.publish(event(index))
                await handled.wait()
            }
            try await consumer.value
            await bus.shutdown()
        case .asyncStream:
            let (stream, continuation) = AsyncStream<LatencyEvent>.makeStream()
            let consumer = Task {
                for await event in stream {
                    handle(event)
                    if event.index == total - 1 { break }
                }
            }
            for index in 0..<total {
                continuation.yield(event(index))
                await handled.wait()
            }
            await consumer.value
        }
        let sorted = samples.sorted
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)])
        }
        let figures = Bench.Latency(p50: percentile(0.5), p99: percentile(0.99), p999: percentile(0.999))
        var result = row(
            "",
            figures.p50,
            note: String(
                format:
                    "publish → handler start, one event at a time: p50 %.0f ns, p99 %.0f ns, p99.9 %.0f ns (%d events)",
                figures.p50,
                figures.p99,
                figures.p999 ?? 0,
                sorted.count
            )
        )
        result.latency = figures
        return result
    }
}

/// The observer of `latency-observer`: records the latency of each event.
actor LatencyObserver: EventHandler {
    let samples: LatencySamples

    init(_ samples: LatencySamples) {
        self.samples = samples
    }

    static func declareHandlers(_ handlers: inout EventHandlers<LatencyObserver>) {
        handlers.handle(LatencyEvent.self) { observer, event in
            if event.index >= Suite.latencyWarmUp { observer.samples.record(event) }
        }
    }
}
