import EventLog
import EventQueue

/// The seam of a shared store, whose durable mailboxes are consumer groups: the events live in
/// the store (not in a queue of this process), every process that declares a group stores into
/// it, and the instances of a group compete for its events. The PostgreSQL store of the
/// `PostgresSupport` trait is one. `package`, like ``MailboxStore``, until it has proven itself.
///
/// Every settlement is fenced by the lease's owner: it counts only while `owner` still holds the
/// event's lease, and returns whether it did.
package protocol GroupStore: Sendable {
    /// Records that group `group` takes events named `eventName` (idempotent; it stays recorded
    /// until the group is removed), preparing the store first when needed.
    func declare(group: String, eventName: String) async throws
    /// Sets how long (or for how many ids) `group` remembers the ids of events it acknowledged,
    /// so that a publish of the same id within the window is not stored again (nil: only while
    /// the event is pending or dead-lettered). Every process's publishes honour it; the latest
    /// consumer to declare the group sets it.
    func setDedup(group: String, window: DedupWindow?) async throws
    /// Forgets the acknowledged ids of `group` that fell out of its dedup window; how many.
    func pruneAcknowledged(group: String) async throws -> Int
    /// Stores each record once for every group declared for its event name, all or none.
    func store(_ records: [GroupRecord]) async throws
    /// Records that the stored queue `queue` (`queue:<name>`: a group no publish reaches)
    /// carries events named `eventName`, unless it is declared already; returns the event name
    /// it carries (a different one: the caller refuses the clash).
    func declare(queue: String, eventName: String) async throws -> String
    /// Sends records to the stored queue `queue`, all or none (an id it holds already is not
    /// stored again), and wakes its consumers.
    func enqueue(queue: String, records: [GroupRecord]) async throws
    /// Leases up to `limit` visible events of `group` to `owner` (an expired lease counts as
    /// free), in lane then publish order, and of the events with one ordering key only the
    /// oldest, and only when no other claimant holds it. Each claim counts as a delivery. Only
    /// events of schema version `readableVersion` or older — unless a newer one waited longer
    /// than the store's bound for an instance that reads it (then it is claimed, and the consumer
    /// dead-letters it as an unknown version).
    func claim(group: String, owner: String, limit: Int, readableVersion: Int) async throws -> [ClaimedRecord]
    /// Deletes a handled event. False when `owner` no longer holds its lease.
    func acknowledge(group: String, id: String, owner: String) async throws -> Bool
    /// Writes settlements of events `owner` claimed, together (one statement, one commit):
    /// acknowledgements and retries, each only while `owner` still holds the event's lease.
    /// Returns the ids that counted — a lease that ran out is refused for exactly its events.
    /// Writing the same settlements again after an unanswered attempt changes nothing more.
    func settle(group: String, owner: String, _ settlements: [GroupSettlement]) async throws -> Set<String>
    /// Counts a failed attempt and makes the event visible again after `delay`.
    func retry(group: String, id: String, owner: String, after delay: Duration, reason: String) async throws -> Bool
    /// Counts a failed attempt (unless `countsAsAttempt` is false) and moves the event to the
    /// group's dead letters with `reason`; with `limit`, deletes the oldest dead letters beyond
    /// the newest `limit` in the same transaction, so that the limit holds as soon as the move is
    /// seen. `settled` is false (and nothing changed) when `owner` no longer holds the lease;
    /// `trimmed` says how many dead letters the limit deleted.
    func deadLetter(
        group: String,
        id: String,
        owner: String,
        reason: String,
        countsAsAttempt: Bool,
        keeping limit: Int?
    ) async throws -> (settled: Bool, trimmed: Int)
    /// How many events of `group` are visible now, delayed (or backing off), leased (by any
    /// instance), and dead-lettered: the group-wide numbers of its metrics.
    func snapshot(group: String) async throws -> GroupSnapshot
    /// How many events of `group` no claimant but `owners` holds: visible, delayed (or backing
    /// off), or leased by one of `owners` — what a process whose consumers claimed as `owners`
    /// leaves in the group when it stops.
    func remaining(group: String, owners: [String]) async throws -> Int
    /// The dead letters of `group`, oldest first (at most `limit`, nil: all).
    func deadLetters(group: String, limit: Int?) async throws -> [GroupDeadLetter]
    /// Renews the leases `owner` holds on the events `ids` of `group` (only those: a claim whose
    /// answer never came may have leased others, which are left to expire); how many it renewed.
    func extendLeases(group: String, owner: String, ids: [String]) async throws -> Int
    /// Gives back every event `owner` holds in `group` unhandled: a clean stop, not an attempt.
    func release(group: String, owner: String) async throws
    /// Gives back what `owner` holds in `group` except `ids`, not counted as a claim: after a
    /// claim whose answer never came, the events it may have leased that the claimant never saw.
    func release(group: String, owner: String, keeping ids: [String]) async throws
    /// Returns the events of every expired lease to their groups; how many.
    func reapExpiredLeases() async throws -> Int
    /// Moves dead letters of `group` back (all, or those with the given ids), attempts reset.
    func requeueDeadLetters(group: String, ids: [String]?) async throws -> Int
    /// Deletes the events of `group` (visible, delayed and leased) and its dead letters, in one
    /// transaction; the group stays declared.
    func purge(group: String) async throws -> PurgeReport
    /// Returns when `group` may have visible events: a wake-up for it since ``wakeGeneration(of:)``
    /// returned `generation` (at once when one came already), or `timeout` (with jitter).
    func waitForWork(group: String, timeout: Duration, since generation: UInt64) async
    /// The group's wake-ups so far: a claimant reads it before it claims.
    func wakeGeneration(of group: String) -> UInt64
    /// Wakes this process's waiters of `group` (a consumer stops, or the bus closes the group).
    func wake(group: String)
    /// `error`, thrown by this store, as the bus shows it in its errors (a store replaces a
    /// driver's generic description with what happened, never with credentials).
    func failure(_ error: any Error) -> any Error
    /// What a mailbox of this store claims per batch, and how long a lease lasts.
    var claiming: (batch: Int, lease: Duration, poll: Duration) { get }
    /// How many settlements a `consume` loop writes together at most, and how long the oldest
    /// waits for others (``GroupSettlements``).
    var settling: (batch: Int, delay: Duration) { get }
}

extension GroupStore {
    /// ``claim(group:owner:limit:readableVersion:)`` of every version.
    package func claim(group: String, owner: String, limit: Int) async throws -> [ClaimedRecord] {
        try await claim(group: group, owner: owner, limit: limit, readableVersion: Int.max)
    }
}

extension MailboxStore {
    /// Not a shared store.
    package var groups: (any GroupStore)? { nil }

    /// A consumer group's dead letters, from its ``GroupStore``; a store without groups has none
    /// to show unless it implements this.
    package func deadLetters(
        ofMailbox name: String,
        limit: Int?,
        context: StoreContext
    ) async throws -> [StoredDeadLetter] {
        guard let groups else { throw StoreFailure.other(UnsupportedByStore(operation: "listing dead letters")) }
        return try await groups.storedDeadLetters(group: name, limit: limit)
    }

    /// A consumer group's requeue, in its ``GroupStore``, with a wake-up for its consumers.
    package func requeueDeadLetters(
        ofMailbox name: String,
        ids: Set<EventID>?,
        context: StoreContext
    ) async throws -> Int {
        guard let groups else { throw StoreFailure.other(UnsupportedByStore(operation: "requeueing dead letters")) }
        let count = try await groups.requeueDeadLetters(group: name, ids: ids?.map(\.description))
        if count > 0 { groups.wake(group: name) }
        return count
    }
}

extension GroupStore {
    /// The dead letters of `group` as the bus shows them, oldest first (at most `limit`).
    package func storedDeadLetters(group: String, limit: Int?) async throws -> [StoredDeadLetter] {
        try await deadLetters(group: group, limit: limit).map { letter in
            StoredDeadLetter(
                id: EventID(letter.id) ?? EventID(high: 0, low: 0),
                mailbox: group,
                envelope: letter.body,
                fallbackName: letter.eventName,
                priority: letter.priority,
                reason: DeadLetterReason(storedText: letter.reason),
                attempts: letter.attempts,
                crashes: 0,
                deadLetteredAt: letter.deadAt
            )
        }
    }
}

/// A group's events by state, as the store counts them.
package struct GroupSnapshot: Sendable, Equatable {
    /// Visible now, not leased.
    package var visible: Int
    /// Waiting for their time (delayed, or backing off before a retry).
    package var delayed: Int
    /// Leased to a claimant of any instance.
    package var leased: Int
    /// Dead letters kept.
    package var deadLetters: Int

    /// Creates a snapshot.
    package init(visible: Int, delayed: Int, leased: Int, deadLetters: Int) {
        self.visible = visible
        self.delayed = delayed
        self.leased = leased
        self.deadLetters = deadLetters
    }
}
