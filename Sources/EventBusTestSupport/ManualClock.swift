import EventLog
import EventQueue
import Synchronization

/// A clock that moves only when a test says so: delayed delivery, visibility timeouts, retry
/// backoff and request timeouts become deterministic.
///
/// ```swift
/// let clock = ManualClock()
/// let bus = Bus(configuration: BusConfiguration(clock: clock))
/// try await bus.publish(Reminder(), after: .seconds(30))
/// clock.advance(by: .seconds(30))      // now the reminder is published
/// ```
public final class ManualClock: QueueClock, Sendable {
    private struct Sleeper {
        let id: UInt64
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: ContinuousClock.Instant
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
    }

    private let state: Locked<State>

    /// Creates a clock that starts at the current instant and stands still.
    public init() {
        state = Locked(State(now: ContinuousClock.now))
    }

    /// The instant the clock shows.
    public var now: ContinuousClock.Instant { state.withLock { $0.now } }

    /// How many tasks are sleeping on this clock (tests wait for a timer to be armed with it).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Moves time forward and wakes every sleeper whose deadline has been reached.
    public func advance(by duration: Duration) {
        let due: [Sleeper] = state.withLock { state in
            state.now = state.now + duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due.sorted(by: { $0.deadline < $1.deadline }) { sleeper.continuation.resume() }
    }

    /// Suspends until ``advance(by:)`` reaches `deadline`; throws `CancellationError` when cancelled.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let result: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
