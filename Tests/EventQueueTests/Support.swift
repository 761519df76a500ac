import EventBusTestSupport
import EventLog
import EventQueue

/// Ids 1, 2, 3... for readable assertions.
func id(_ value: UInt64) -> EventID {
    EventID(high: 0, low: value)
}

extension WorkQueue {
    /// Takes what is ready now (never waits: the queue must hold something or be closed).
    func takeReady(_ max: Int = 1_000) async throws -> [Lease<Element>] {
        try await next(maxCount: max) ?? []
    }
}

extension WorkQueue {
    /// Takes what is ready, or nothing without waiting when nothing is.
    func readyNow() async throws -> [Lease<Element>] {
        metrics().depth == 0 ? [] : try await takeReady()
    }
}

func makeQueue(
    capacity: Capacity = .unbounded,
    acknowledgement: AcknowledgementMode = .none,
    retry: RetryPolicy = .none,
    deadLetter: DeadLetterPolicy = .keep,
    dedup: DedupWindow? = nil,
    clock: any QueueClock = SystemQueueClock()
) -> WorkQueue<Int> {
    WorkQueue(
        name: "test",
        configuration: QueueConfiguration(
            capacity: capacity,
            acknowledgement: acknowledgement,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup,
            clock: clock
        )
    )
}
