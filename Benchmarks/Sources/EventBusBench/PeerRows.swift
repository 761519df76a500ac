import AsyncAlgorithms
import OpenCombine

/// The peers EventBus is judged against that the root package may not depend on: an
/// `AsyncChannel` from swift-async-algorithms (beside `AsyncStream`) and an OpenCombine
/// `PassthroughSubject` (beside `NotificationCenter`). Each row mirrors its neighbour's shape.
extension Suite {
    /// `n` events sent into `count` channels, one consumer task each. A send waits until the
    /// consumer takes the event (`AsyncChannel` has no buffer), so this is a rendezvous per
    /// delivery, where `AsyncStream` buffers.
    func asyncChannel(_ n: Int, channels count: Int) async -> Bench.Row {
        let channels = (0..<count).map { _ in AsyncChannel<BenchEvent>() }
        let consumers = channels.map { channel in
            Task {
                var seen = 0
                for await _ in channel {
                    seen += 1
                    if seen == n { break }
                }
            }
        }
        let ns = await nanoseconds(n) {
            for value in 0..<n {
                for channel in channels { await channel.send(BenchEvent(value: value)) }
            }
            for consumer in consumers { await consumer.value }
        }
        return row("", ns, deliveries: count)
    }

    /// `n` events sent through one `PassthroughSubject` to `count` sinks, synchronously on the
    /// sender, as `NotificationCenter.post` calls its observers.
    func openCombine(_ n: Int, sinks count: Int) -> Bench.Row {
        let subject = PassthroughSubject<BenchEvent, Never>()
        let counter = Counter()
        let cancellables = (0..<count).map { _ in
            subject.sink { event in if event.value == -1 { counter.add() } }
        }
        allocations?.start()
        cpu.start()
        let start = ContinuousClock.now
        for value in 0..<n { subject.send(BenchEvent(value: value)) }
        let elapsed = ContinuousClock.now - start
        cpu.stop(events: n)
        allocations?.stop(events: n)
        for cancellable in cancellables { cancellable.cancel() }
        return row("", perEvent(elapsed, n), deliveries: count)
    }
}
