import EventLog
import EventQueue
import Foundation

/// The storage of a *shared queue*: a `WorkQueue` of this process over a consumer group or a
/// stored queue of a ``GroupStore`` (Architecture.md, "The bus across instances"). The queue
/// holds only what its ``GroupPump`` claimed; every settlement goes to the store, fenced by the
/// pump's lease owner.
final class GroupQueueStorage<E: Event>: QueueStorage {
    typealias Element = Envelope<E>

    /// The store and the group (or `queue:<name>`) in it.
    let store: any GroupStore
    let group: String
    /// The pump's lease owner: a settlement counts only while it holds the event's lease.
    let owner: String
    let codec: EnvelopeCodec<E>
    /// Told of dead letters the store's keep limit deleted (the group's `deadLettersDiscarded`).
    let discarded: @Sendable (Int) -> Void

    init(
        store: any GroupStore,
        group: String,
        owner: String,
        codec: EnvelopeCodec<E>,
        discarded: @escaping @Sendable (Int) -> Void
    ) {
        self.store = store
        self.group = group
        self.owner = owner
        self.codec = codec
        self.discarded = discarded
    }

    var isShared: Bool { true }

    /// Nothing to recover here: the pump claims from the store.
    func recover() async throws -> RecoveredState<Envelope<E>> {
        RecoveredState(pending: [], deadLetters: [], recentIDs: [])
    }

    /// A send to a stored queue: one row, committed before this returns.
    func append(_ event: StoredEvent<Envelope<E>>) async throws {
        let delay = event.notBefore.map { wall -> Duration in
            .nanoseconds(max(0, wall.nanosecondsSinceEpoch - WallClockInstant.now().nanosecondsSinceEpoch))
        }
        let record = GroupRecord(
            eventName: E.eventName,
            id: event.id.description,
            body: try codec.encode(event.element),
            priority: event.priority,
            delay: delay,
            orderingKey: event.element.metadata.orderingKey,
            schemaVersion: E.schemaVersion
        )
        do {
            try await store.enqueue(queue: group, records: [record])
        } catch {
            throw store.failure(error)
        }
    }

    /// The claim counted the attempt already.
    func recordAttempts(_ attempts: [(id: EventID, attempt: Int)]) async throws {}

    /// Deletes the handled row; a lease lost meanwhile (it expired, another claimant has the
    /// event) is ``GroupClaimLost``, which the bus reports as `BusError.alreadySettled`.
    func acknowledge(_ id: EventID) async throws {
        let settled: Bool
        do {
            settled = try await store.acknowledge(group: group, id: id.description, owner: owner)
        } catch {
            throw store.failure(error)
        }
        if !settled { throw GroupClaimLost(group: group) }
    }

    /// The failed attempt goes back to the store, visible again at `notBefore`.
    func reschedule(_ id: EventID, notBefore: WallClockInstant?) async throws {
        let delay = notBefore.map { wall -> Duration in
            .nanoseconds(max(0, wall.nanosecondsSinceEpoch - WallClockInstant.now().nanosecondsSinceEpoch))
        }
        do {
            _ = try await store.retry(
                group: group,
                id: id.description,
                owner: owner,
                after: delay ?? .zero,
                reason: "failed attempt"
            )
        } catch {
            throw store.failure(error)
        }
    }

    func deadLetter(_ id: EventID, reason: String) async throws {
        try await deadLetter(id, reason: reason, policy: .keep)
    }

    /// Into the group's dead letters with the keep limit (in the same transaction), or — under
    /// `.discard` — deleted.
    func deadLetter(_ id: EventID, reason: String, policy: DeadLetterPolicy) async throws {
        do {
            switch policy {
            case .discard:
                _ = try await store.acknowledge(group: group, id: id.description, owner: owner)
            case .keep(let limit):
                let (_, trimmed) = try await store.deadLetter(
                    group: group,
                    id: id.description,
                    owner: owner,
                    reason: reason,
                    countsAsAttempt: true,
                    keeping: limit
                )
                if trimmed > 0 { discarded(trimmed) }
            }
        } catch {
            throw store.failure(error)
        }
    }

    func requeue(_ ids: [EventID]) async throws {
        do {
            _ = try await store.requeueDeadLetters(group: group, ids: ids.map(\.description))
        } catch {
            throw store.failure(error)
        }
    }

    func requeueAll() async throws -> Int {
        do {
            return try await store.requeueDeadLetters(group: group, ids: nil)
        } catch {
            throw store.failure(error)
        }
    }

    /// A clean stop: what the pump holds (claimed, handed out or not) goes back, not counted as
    /// an attempt.
    func close(releasing inFlight: [EventID]) {
        let store = self.store
        let group = self.group
        let owner = self.owner
        Task { try? await store.release(group: group, owner: owner) }
    }

    /// Stopped as a crash would stop it: what the pump holds stays leased until the leases
    /// expire, and each such claim counts as a crash.
    func close() {}
}
