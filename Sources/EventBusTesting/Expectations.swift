import EventBus
import EventBusTestSupport
import EventLog
import EventQueue

extension Bus {
    /// Subscribes, runs `body` (which should cause the event), and returns the first event of
    /// type `E` published meanwhile.
    /// - Throws: ``ExpectationTimeout`` when none arrives within `timeout`.
    public func expect<E: Event>(
        _ type: E.Type,
        timeout: Duration = .seconds(10),
        during body: () async throws -> Void
    ) async throws -> E {
        let recorder = try EventRecorder(self)
        defer { recorder.stop() }
        try await body()
        guard let event = try await recorder.wait(for: E.self, count: 1, timeout: timeout).first else {
            throw ExpectationTimeout(expectation: E.eventName, recorded: recorder.eventNames)
        }
        return event
    }
}
