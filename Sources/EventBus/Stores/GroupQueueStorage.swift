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
    /// The events the pump claimed and the queue has not settled: the heartbeat renews their
    /// leases (and only theirs).
    private let held = Locked<Set<String>>([])
    /// Settlements waiting for the write in progress (a group commit).
    private let commits = Locked(Commits())

    private struct Commits {
        var pending: [(GroupSettlement, SettleWaiter)] = []
        var writing = false
    }

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

    /// The pump claimed `id` (its lease is renewed until the queue settles it).
    func hold(_ id: String) {
        _ = held.withLock { $0.insert(id) }
    }

    /// What the pump claimed and the queue has not settled.
    var heldIDs: [String] { held.withLock { Array($0) } }

    /// Deletes the handled row, after the statement committed (an `ack()` waits for it, so that
    /// it can tell a lost lease): acknowledgements that come while one is written share the next
    /// statement (a group commit). A lease lost meanwhile (it expired, another claimant has the
    /// event) is ``GroupClaimLost``, which the bus reports as `BusError.alreadySettled`.
    func acknowledge(_ id: EventID) async throws {
        let settled = try await settle(GroupSettlement(id: id.description, kind: .acknowledge))
        if !settled { throw GroupClaimLost(group: group) }
    }

    /// The failed attempt goes back to the store, visible again at `notBefore` (written as
    /// acknowledgements are).
    func reschedule(_ id: EventID, notBefore: WallClockInstant?) async throws {
        let delay = notBefore.map { wall -> Duration in
            .nanoseconds(max(0, wall.nanosecondsSinceEpoch - WallClockInstant.now().nanosecondsSinceEpoch))
        }
        let retry = GroupSettlement(id: id.description, kind: .retry(after: delay ?? .zero, reason: "failed attempt"))
        _ = try await settle(retry)
    }

    /// Writes `settlement` with those that wait meanwhile, in one statement; whether it counted.
    /// The first caller writes (its own and what came meanwhile); the others wait for it; what comes
    /// during a write goes into the next, written by a task of its own.
    private func settle(_ settlement: GroupSettlement) async throws -> Bool {
        let waiter = SettleWaiter()
        let leads = commits.withLock { commits -> Bool in
            commits.pending.append((settlement, waiter))
            guard !commits.writing else { return false }
            commits.writing = true
            return true
        }
        if leads, await writeCommits() {
            // More came during the write: a task of its own writes them (the leader is done).
            Task {
                while await self.writeCommits() {}
            }
        }
        let settled = try await waiter.value.get()
        _ = held.withLock { $0.remove(settlement.id) }
        return settled
    }

    /// Writes what waits, in one statement (the caller holds `writing`); true when more came
    /// meanwhile (`writing` stays held for the caller's next write), false when it let go.
    private func writeCommits() async -> Bool {
        let batch = commits.withLock { commits -> [(GroupSettlement, SettleWaiter)] in
            defer { commits.pending = [] }
            return commits.pending
        }
        if !batch.isEmpty {
            do {
                let settled = try await store.settle(group: group, owner: owner, batch.map(\.0))
                for (settlement, waiter) in batch { waiter.resolve(.success(settled.contains(settlement.id))) }
            } catch {
                let failure = store.failure(error)
                for (_, waiter) in batch { waiter.resolve(.failure(failure)) }
            }
        }
        return commits.withLock { commits in
            if commits.pending.isEmpty { commits.writing = false }
            return commits.writing
        }
    }

    func deadLetter(_ id: EventID, reason: String) async throws {
        try await deadLetter(id, reason: reason, policy: .keep)
    }

    /// Into the group's dead letters with the keep limit (in the same transaction), or — under
    /// `.discard` — deleted.
    func deadLetter(_ id: EventID, reason: String, policy: DeadLetterPolicy) async throws {
        _ = held.withLock { $0.remove(id.description) }
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
        held.withLock { $0.removeAll() }
        Task { try? await store.release(group: group, owner: owner) }
    }

    /// Stopped as a crash would stop it: what the pump holds stays leased until the leases
    /// expire, and each such claim counts as a crash.
    func close() {}
}

/// One settlement's result in a group commit of ``GroupQueueStorage``: resolved by whoever wrote
/// its statement, awaited by the caller.
final class SettleWaiter: Sendable {
    private struct State {
        var result: Result<Bool, any Error>?
        var continuation: CheckedContinuation<Result<Bool, any Error>, Never>?
    }

    private let state = Locked(State())

    func resolve(_ result: Result<Bool, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<Result<Bool, any Error>, Never>? in
            state.result = result
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
    }

    var value: Result<Bool, any Error> {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Result<Bool, any Error>? in
                    if let result = state.result { return result }
                    state.continuation = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
