import EventLog
import Synchronization

/// A ``QueueStorage`` that keeps everything in memory.
///
/// It survives the *queue*, not the process: open a second ``WorkQueue`` on the same
/// storage to see exactly what a restart would redeliver. Tests use it to check recovery
/// semantics without a disk; the durable file log implements the same protocol.
package final class MemoryStorage<Element: Sendable>: QueueStorage, Sendable {
    private struct State {
        var sequence: UInt64 = 0
        var pending: [EventID: (sequence: UInt64, event: StoredEvent<Element>, progress: DeliveryProgress)] = [:]
        var dead: [EventID: (sequence: UInt64, letter: RecoveredDeadLetter<Element>)] = [:]
        var recent: [EventID] = []
        var failNext: (any Error)?
    }

    private let state = Locked(State())

    /// Creates empty storage.
    package init() {}

    /// Makes the next write fail with `error` (for tests of the failure paths).
    package func failNextWrite(with error: any Error) {
        state.withLock { $0.failNext = error }
    }

    /// Pending, dead-letter and recent-id state, ordered by acceptance.
    package func recover() throws -> RecoveredState<Element> {
        state.withLock { state in
            RecoveredState(
                pending: state.pending.values.sorted { $0.sequence < $1.sequence }.map { entry in
                    // As a log replays: an attempt still open was cut off by the stop.
                    let progress = entry.progress.afterStop
                    var event = entry.event
                    event.attempts = Int(progress.attempts)
                    event.crashes = Int(progress.crashes)
                    event.notBefore = progress.notBefore.map(WallClockInstant.init(nanosecondsSinceEpoch:))
                    return event
                },
                deadLetters: state.dead.values.sorted { $0.sequence < $1.sequence }.map(\.letter),
                recentIDs: state.recent
            )
        }
    }

    /// Stores the event.
    package func append(_ event: StoredEvent<Element>) async throws {
        try write { state in
            state.sequence += 1
            let progress = DeliveryProgress(
                attempts: UInt32(clamping: event.attempts),
                notBefore: event.notBefore?.nanosecondsSinceEpoch
            )
            state.pending[event.id] = (state.sequence, event, progress)
            state.recent.append(event.id)
            if state.recent.count > 100_000 { state.recent.removeFirst(state.recent.count - 100_000) }
        }
    }

    /// Updates attempt counts.
    package func recordAttempts(_ attempts: [(id: EventID, attempt: Int)]) async throws {
        try write { state in
            for (id, attempt) in attempts {
                state.pending[id]?.progress.apply(.attempt(id: id, attempt: UInt32(clamping: attempt)))
            }
        }
    }

    /// Forgets the event.
    package func acknowledge(_ id: EventID) async throws {
        try write { state in _ = state.pending.removeValue(forKey: id) }
    }

    /// Stores the retry time.
    package func reschedule(_ id: EventID, notBefore: WallClockInstant?) async throws {
        try write { state in
            state.pending[id]?.progress.apply(.reschedule(id: id, notBefore: notBefore?.nanosecondsSinceEpoch))
        }
    }

    /// Moves the event to the dead letters.
    package func deadLetter(_ id: EventID, reason: String) async throws {
        try write { state in
            guard var entry = state.pending.removeValue(forKey: id) else { return }
            entry.progress.apply(.dead(id: id, reason: reason))
            entry.event.attempts = Int(entry.progress.attempts)
            state.dead[id] = (entry.sequence, RecoveredDeadLetter(event: entry.event, reason: reason, deadAt: .now()))
        }
    }

    /// Moves dead letters back to pending.
    package func requeue(_ ids: [EventID]) async throws {
        try write { state in
            for id in ids {
                guard var entry = state.dead.removeValue(forKey: id) else { continue }
                entry.letter.event.attempts = 0
                entry.letter.event.crashes = 0
                entry.letter.event.notBefore = nil
                state.pending[id] = (entry.sequence, entry.letter.event, DeliveryProgress(attempts: 0, notBefore: nil))
            }
        }
    }

    /// Gives back the deliveries in progress: they count as neither attempts nor crashes.
    package func close(releasing inFlight: [EventID]) {
        state.withLock { state in
            for id in inFlight { state.pending[id]?.progress.apply(.release(id: id)) }
        }
    }

    private func write(_ body: (inout State) -> Void) throws {
        try state.withLock { state in
            if let error = state.failNext {
                state.failNext = nil
                throw error
            }
            body(&state)
        }
    }
}
