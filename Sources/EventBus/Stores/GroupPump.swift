import EventLog
import EventQueue

/// Feeds a shared queue (``GroupQueueStorage``) from its ``GroupStore``: when a consumer of the
/// queue waits with nothing ready, claims about as many events as consumers wait (at most the
/// store's batch) and admits them; renews the leases it holds while they are held (a heartbeat);
/// buries what no consumer of this process can take (another type, undecodable, crashed too often)
/// in the store. Runs until the group is terminated, or — in a shutdown's drain — until the group
/// has nothing visible or delayed left and the queue's consumers have finished.
struct GroupPump<E: Event>: Sendable {
    let queue: WorkQueue<Envelope<E>>
    /// The queue's storage: what the pump claimed and the queue has not settled.
    let storage: GroupQueueStorage<E>
    let group: GroupMailbox
    let codec: EnvelopeCodec<E>
    /// The lease owner of every claim and settlement (the queue's storage uses it too).
    let owner: String

    private var stopping: Bool { group.isTerminated || Task.isCancelled }

    func run() async {
        let store = group.store
        let name = group.name
        let (batch, lease, poll) = store.claiming
        // Renews the leases of what the queue holds (and only those: rows a claim leased without
        // its answer arriving are left to expire, or given back below).
        let heartbeat = Task { [storage, owner] in
            while (try? await Task.sleep(for: lease / 3)) != nil {
                let held = storage.heldIDs
                if !held.isEmpty {
                    _ = try? await store.extendLeases(group: name, owner: owner, ids: held)
                }
            }
        }
        // Claims that failed in a row, and whether rows of an unanswered claim must be given back.
        var failures = 0
        var reconcile = false
        // Idle (for `waitUntilIdle`) while it waits for a consumer or for events; busy while it
        // claims and admits.
        var busy = true
        func idle() {
            if busy { group.setBusy(false) }
            busy = false
        }
        func working() {
            if !busy { group.setBusy(true) }
            busy = true
        }
        while !stopping {
            if group.isDraining, let left = try? await store.snapshot(group: name) {
                // A shutdown's drain ends when the group has nothing left for this process (what
                // its consumers hold in flight, they finish below).
                group.record(left)
                if left.visible == 0 && left.delayed == 0 { break }
            }
            idle()
            // At most a poll: a drain that began meanwhile is noticed.
            await waitForDemand(atMost: poll)
            if stopping { break }
            guard queue.waitingConsumers > 0 else { continue }
            working()
            if reconcile {
                reconcile = (try? await store.release(group: name, owner: owner, keeping: storage.heldIDs)) == nil
            }
            let generation = store.wakeGeneration(of: name)
            let wanted = min(batch, max(1, queue.waitingConsumers))
            let claimed: [ClaimedRecord]
            do {
                claimed = try await store.claim(
                    group: name,
                    owner: owner,
                    limit: wanted,
                    readableVersion: E.schemaVersion
                )
                failures = 0
            } catch {
                // Retried with backoff (a wake-up cuts it short); the store logs once.
                failures += 1
                reconcile = true
                idle()
                let backoff = poll * Double(1 << min(failures - 1, 3)) * Double.random(in: 0.8...1.2)
                await store.waitForWork(group: name, timeout: backoff, since: generation)
                continue
            }
            if claimed.isEmpty {
                if let reaped = try? await store.reapExpiredLeases(), reaped > 0 { continue }
                if group.isDraining { continue }
                idle()
                await store.waitForWork(group: name, timeout: poll, since: generation)
                continue
            }
            for record in claimed { await admit(record) }
        }
        working()
        if !group.isTerminated {
            // Drained: the consumers finish what they were handed, then their iteration ends.
            queue.close()
            await queue.waitUntilDrained()
        }
        heartbeat.cancel()
        group.loopEnded(owner: owner)
    }

    /// ``WorkQueue/waitForDemand()``, or `limit` at most (a drain re-checks the store meanwhile).
    private func waitForDemand(atMost limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await queue.waitForDemand() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Admits a claimed event, or buries it in the store when no consumer here can take it.
    private func admit(_ record: ClaimedRecord) async {
        let decoded = record.decoded(
            as: E.self,
            codec: codec,
            maxCrashes: queue.configuration.retry.maxCrashes,
            group: group.name
        )
        guard case .success(let (id, envelope)) = decoded else {
            if case .failure(let problem) = decoded { await bury(record, reason: problem.reason) }
            return
        }
        storage.hold(record.id)
        if !queue.admitClaimed(envelope, id: id, priority: record.priority, attempts: record.attempts) {
            try? await group.store.release(group: group.name, owner: owner)
        }
    }

    private func bury(_ record: ClaimedRecord, reason: String) async {
        let buried = try? await group.store.deadLetter(
            group: group.name,
            id: record.id,
            owner: owner,
            reason: reason,
            countsAsAttempt: false,
            keeping: nil
        )
        if buried?.settled == true { group.count { $0.deadLettered += 1 } }
    }
}
