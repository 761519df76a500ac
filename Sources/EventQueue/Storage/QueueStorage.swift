import EventLog

/// The seam between a ``WorkQueue`` and where its events live.
///
/// A queue without storage keeps events in memory only. A queue with storage calls it at
/// every state change that must survive a restart, *before* the change becomes visible:
/// an event is appended before the producer is told it was accepted, an attempt is recorded
/// before the delivery is handed out, and so on. Implementations throw to refuse (a
/// ``StoreFailure`` says why; any other error is reported as ``StoreFailure/other(_:)``); the
/// queue then undoes the change and reports ``QueueError/storage(_:)``. A failure to record an
/// attempt does not stop the delivery: it goes out without the attempt counted.
///
/// Crashes and clean stops: an attempt recorded and never settled (acknowledged, rescheduled,
/// dead-lettered) or released was cut off by a crash. ``recover()`` reports such deliveries in
/// ``StoredEvent/crashes``, not in ``StoredEvent/attempts``. ``close(releasing:)`` gives back the
/// attempts in progress at a clean stop, which count as neither.
package protocol QueueStorage<Element>: Sendable {
    /// The stored value type.
    associatedtype Element: Sendable

    /// Loads what survived the last run. Called once, when a queue opens.
    func recover() async throws -> RecoveredState<Element>
    /// Stores a newly accepted event; returns once it is stored under the storage's durability policy.
    func append(_ event: StoredEvent<Element>) async throws
    /// Stores newly accepted events, in order, all or none; returns once all are stored. The
    /// default appends them one by one (so a failure midway may leave the first ones stored);
    /// implement it to store them as one group (``FileLog`` does: one write, one fsync).
    func append(contentsOf events: [StoredEvent<Element>]) async throws
    /// Stores a queue's batch of newly accepted events, in order, all or none: what every enqueue
    /// of a queue with storage calls. The default calls ``append(contentsOf:)``; a store that can
    /// write from the batch directly implements it (``FileLog`` encodes each event as it reads it).
    func append(_ batch: StoredBatch<Element>) async throws
    /// Records that delivery attempt `attempt` of these events starts now.
    func recordAttempts(_ attempts: [(id: EventID, attempt: Int)]) async throws
    /// Records that the event was handled; it is never delivered again.
    func acknowledge(_ id: EventID) async throws
    /// Records that a failed event waits until `notBefore` for its next attempt.
    func reschedule(_ id: EventID, notBefore: WallClockInstant?) async throws
    /// Records that the event exhausted its attempts.
    func deadLetter(_ id: EventID, reason: String) async throws
    /// Moves dead letters back to pending with their attempt count reset.
    func requeue(_ ids: [EventID]) async throws
    /// Records that these events (waiting, or dead letters) were deleted by an operator; returns
    /// once that is stored. The default acknowledges them one by one.
    func purge(_ ids: [EventID]) async throws
    /// Writes out what is buffered and releases files and locks; called when the queue terminates.
    func close()
    /// Records that the deliveries of these events were given back unfinished (a clean stop:
    /// they count as neither attempts nor crashes), then closes as ``close()``.
    func close(releasing inFlight: [EventID])
    /// What opening the store found and repaired (nil: it has nothing to say).
    var recoveryReport: RecoveryReport? { get }
    /// A store shared with other processes (a consumer group, a stored queue): the queue holds
    /// only what this process claimed from it. An enqueue stores the event and keeps no local
    /// copy; a failed delivery goes back to the store (``reschedule(_:notBefore:)`` or
    /// ``deadLetter(_:reason:policy:)``) and is forgotten locally; a requeue happens in the store.
    var isShared: Bool { get }
    /// Records that the event exhausted its attempts, under the policy of the consumer whose
    /// delivery failed last (a shared store applies `keep(limit:)` and `discard` itself).
    func deadLetter(_ id: EventID, reason: String, policy: DeadLetterPolicy) async throws
    /// Moves every dead letter back to pending (a shared store's requeue of "all"); how many.
    func requeueAll() async throws -> Int
}

extension QueueStorage {
    /// Appends the events one by one.
    package func append(contentsOf events: [StoredEvent<Element>]) async throws {
        for event in events { try await append(event) }
    }

    /// Stores the batch's events through ``append(contentsOf:)``.
    package func append(_ batch: StoredBatch<Element>) async throws {
        try await append(contentsOf: batch.events)
    }

    /// Acknowledges each event.
    package func purge(_ ids: [EventID]) async throws {
        for id in ids { try await acknowledge(id) }
    }

    /// Nothing to release.
    package func close() {}

    /// Closes without recording anything for the deliveries in progress.
    package func close(releasing inFlight: [EventID]) { close() }

    /// Nothing to report.
    package var recoveryReport: RecoveryReport? { nil }

    /// Not shared: the queue keeps its events.
    package var isShared: Bool { false }

    /// Records the dead letter; the queue applied the policy itself.
    package func deadLetter(_ id: EventID, reason: String, policy: DeadLetterPolicy) async throws {
        try await deadLetter(id, reason: reason)
    }

    /// Only a shared store is asked for it (an unshared queue requeues from its own dead letters).
    package func requeueAll() async throws -> Int { 0 }
}
