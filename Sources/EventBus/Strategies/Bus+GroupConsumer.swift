import EventLog
import EventQueue

extension Bus {
    /// `consume` on a consumer group: declares the group when this process has not, then runs a
    /// loop that claims batches from the store, hands each event to `handler` (as every handler
    /// the bus runs is started, ``run(_:_:metadata:strategy:subscriptionID:middlewares:)``), and
    /// settles it in the store, fenced by the loop's lease. `dedup` becomes the group's window in
    /// the store (every process's publishes honour it; the latest consumer or declaration that
    /// names one sets it; nil leaves it as it is).
    /// With `acknowledgesInHandler`, `handler` acknowledges the event itself (in its own
    /// transaction, reading ``GroupClaim/current``): the loop settles only failures.
    package func consumeGroup<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox,
        retry: RetryPolicy,
        deadLetter: DeadLetterPolicy,
        dedup: DedupWindow?,
        codec: (any EventCodec<E>)?,
        acknowledgesInHandler: Bool = false,
        handler: @escaping @Sendable (E) async throws -> Void
    ) async throws -> Consumer<E> {
        let (group, envelopes, key) = try await declaredGroup(E.self, mailbox: mailbox, codec: codec)
        try await setDedup(dedup, of: group)
        let stop = Locked(false)
        let store = group.store
        let name = group.name
        let subscriptionID = try router.add(target: .consumer, strategy: .mailbox, factory: DetachedFactory()) {
            stop.withLock { $0 = true }
            store.wake(group: name)
        }
        let subscription = Subscription(ids: [subscriptionID], router: router, strategy: .mailbox)
        let loop = GroupLoop(
            group: group,
            codec: envelopes,
            retry: retry,
            deadLetter: deadLetter,
            subscriptionID: subscriptionID,
            owner: EventID.random().description,
            stop: stop,
            acknowledgesInHandler: acknowledgesInHandler
        )
        let middlewares = self.middlewares
        group.loopStarted(owner: loop.owner)
        let report: @Sendable (HandlerFailure) async -> Void = { [weak self] failure in
            await self?.reportFailure(failure, while: E.self)
        }
        let task = Task { await loop.run(middlewares: middlewares, handler: handler, report: report) }
        registry.setConsumer(task, for: key)
        return Consumer(
            group: group,
            subscription: subscription,
            decode: { bytes, id in try envelopes.decode(bytes, id: id) },
            task: task
        )
    }
}

/// One consumer of a group: claims a batch, handles it event by event, settles each in the store.
struct GroupLoop<E: Event>: Sendable {
    let group: GroupMailbox
    let codec: EnvelopeCodec<E>
    let retry: RetryPolicy
    let deadLetter: DeadLetterPolicy
    let subscriptionID: UInt64
    /// The lease owner: unique per loop, so that a settlement is fenced per claimant.
    let owner: String
    /// Set when the consumer is cancelled.
    let stop: Locked<Bool>
    /// The handler acknowledges in its own transaction (``GroupClaim``).
    let acknowledgesInHandler: Bool

    private var stopping: Bool { stop.withLock { $0 } || group.isTerminated || Task.isCancelled }

    /// Runs until the consumer is cancelled or the group closed, then writes its settlements and
    /// gives back what it holds.
    func run(
        middlewares: MiddlewareStack,
        handler: @escaping @Sendable (E) async throws -> Void,
        report: @escaping @Sendable (HandlerFailure) async -> Void
    ) async {
        let store = group.store
        let (batch, _, poll) = store.claiming
        let settlements = makeSettlements()
        var busy = true
        // Claims that fail in a row (the store cannot be reached): the wait before the next grows.
        var failures = 0
        // After a failed claim, rows the claim may have leased without its answer arriving are
        // given back before the next claim (the heartbeat renews only what this loop knows of).
        var reconcile = false
        // Every ten polls: forget acknowledged ids that left the group's dedup window, and read
        // the group's counts for its metrics.
        var nextUpkeep = ContinuousClock.now
        while !stopping {
            if ContinuousClock.now >= nextUpkeep {
                _ = try? await store.pruneAcknowledged(group: group.name)
                if let snapshot = try? await store.snapshot(group: group.name) { group.record(snapshot) }
                nextUpkeep = ContinuousClock.now + poll * 10
            }
            if !busy {
                group.setBusy(true)
                busy = true
            }
            if reconcile {
                reconcile =
                    (try? await store.release(group: group.name, owner: owner, keeping: settlements.unwritten)) == nil
            }
            // Read before the claim: a wake-up that comes between the claim and the wait is kept.
            let generation = store.wakeGeneration(of: group.name)
            let claimed: [ClaimedRecord]
            do {
                claimed = try await store.claim(
                    group: group.name,
                    owner: owner,
                    limit: batch,
                    readableVersion: E.schemaVersion
                )
                failures = 0
            } catch {
                // The store says so once on its logger; this loop retries with backoff and resumes
                // by itself (a wake-up, e.g. LISTEN coming back, cuts the wait short).
                failures += 1
                reconcile = true
                group.setBusy(false)
                busy = false
                await settlements.write()
                await store.waitForWork(group: group.name, timeout: backoff(poll, failures), since: generation)
                continue
            }
            if claimed.isEmpty {
                // Nothing waits for long: what is unwritten is written before the loop waits — and
                // when there was something, the loop claims again at once (an acknowledgement frees
                // the next event of its ordering key).
                if !settlements.unwritten.isEmpty {
                    if await settlements.write() { continue }
                }
                // Expired leases of crashed instances come back here too (the claim takes them).
                if let reaped = try? await store.reapExpiredLeases(), reaped > 0 { continue }
                // A shutdown's drain ends here when nothing is left that this loop could claim (as a
                // local mailbox drains: ready, then delayed events); until then it waits as usual,
                // and the deadline stops it.
                if group.isDraining, let left = try? await store.snapshot(group: group.name) {
                    group.record(left)
                    if left.visible == 0 && left.delayed == 0 { break }
                }
                group.setBusy(false)
                busy = false
                await store.waitForWork(group: group.name, timeout: poll, since: generation)
                continue
            }
            group.count { $0.delivered += UInt64(claimed.count) }
            // While the batch is handled, the leases of its events and of the settlements not yet
            // written are renewed every third of a lease: only a claimant that stopped (crashed,
            // or hangs without yielding) loses them.
            let ids = claimed.map(\.id)
            let heartbeat = Task { [group, owner] in
                let (_, lease, _) = group.store.claiming
                // A crashed process renews nothing.
                while (try? await Task.sleep(for: lease / 3)) != nil, !group.isCrashed {
                    _ = try? await group.store.extendLeases(
                        group: group.name,
                        owner: owner,
                        ids: ids + settlements.unwritten
                    )
                }
            }
            for record in claimed {
                if stopping { break }
                await handle(
                    record,
                    settlements: settlements,
                    middlewares: middlewares,
                    handler: handler,
                    report: report
                )
            }
            heartbeat.cancel()
        }
        let group = self.group
        let owner = self.owner
        if group.isCrashed {
            // As a crash: nothing written, nothing given back; the leases run out.
            settlements.abandon()
        } else {
            // A clean stop: the settlements are written, then what this loop holds unhandled goes
            // back, not counted as an attempt. In a task of its own, which a cancelled consumer's
            // cancellation does not reach.
            await Task {
                await settlements.write()
                try? await group.store.release(group: group.name, owner: owner)
            }.value
        }
        if !busy { group.setBusy(true) }
        group.loopEnded(owner: owner)
    }

    /// The loop's settlements: written together (``GroupSettlements``), or — for a handler that
    /// acknowledges in its own transaction — only its failures, each at once.
    private func makeSettlements() -> GroupSettlements {
        let (batch, delay) = group.store.settling
        return GroupSettlements(
            store: group.store,
            group: group.name,
            owner: owner,
            limit: acknowledgesInHandler ? 1 : batch,
            delay: delay
        ) { [group] acknowledged in
            group.count { $0.acked += UInt64(acknowledged) }
        }
    }

    /// The wait after `failures` failed claims in a row: the poll, doubling up to eight polls,
    /// ±20 %.
    private func backoff(_ poll: Duration, _ failures: Int) -> Duration {
        poll * Double(1 << min(max(0, failures - 1), 3)) * Double.random(in: 0.8...1.2)
    }

    /// Handles one claimed event and settles it.
    private func handle(
        _ record: ClaimedRecord,
        settlements: GroupSettlements,
        middlewares: MiddlewareStack,
        handler: @escaping @Sendable (E) async throws -> Void,
        report: @escaping @Sendable (HandlerFailure) async -> Void
    ) async {
        let name = group.name
        let decoded = record.decoded(as: E.self, codec: codec, maxCrashes: retry.maxCrashes, group: "group \(name)")
        guard case .success(let (id, envelope)) = decoded else {
            if case .failure(let problem) = decoded { await bury(record, reason: problem.reason) }
            return
        }
        let stored = envelope.metadata
        let attempt = record.attempts + 1
        let metadata = EventMetadata(
            id: id,
            publishedAt: stored.publishedAt,
            priority: record.priority,
            headers: stored.headers,
            correlationID: stored.correlationID,
            attempt: attempt,
            orderingKey: stored.orderingKey
        )
        let error = await GroupClaim.$current.withValue(GroupClaim(group: name, id: record.id, owner: owner)) {
            await Bus.run(
                .sendable(handler),
                envelope.event,
                metadata: metadata,
                strategy: .mailbox,
                subscriptionID: subscriptionID,
                mailbox: name,
                middlewares: middlewares
            )
        }
        if error is GroupClaimLost {
            // Rolled back with the handler's writes: the next claimant handles it again.
            return
        }
        if error == nil && acknowledgesInHandler {
            group.count { $0.acked += 1 }
            return
        }
        guard let error else {
            // Written with others (counted then); refused when the lease was lost (it expired and
            // another claimant has the event): that claimant delivers it again, as at-least-once
            // allows.
            await settlements.add(GroupSettlement(id: record.id, kind: .acknowledge)) { [stop, group] in
                stop.withLock { $0 } || group.isTerminated
            }
            return
        }
        // Cut off by a stop (the drain's deadline, a removal, the consumer's cancel): given back
        // by the release, not a failed attempt — as a local mailbox gives back what a shutdown
        // interrupted.
        if stopping { return }
        group.count { $0.nacked += 1 }
        let last = attempt >= retry.maxAttempts
        if last {
            await bury(record, reason: "\(error)", countsAsAttempt: true)
        } else {
            let delay = retry.delay(afterAttempt: attempt, unit: Double.random(in: 0..<1))
            await settlements.add(
                GroupSettlement(id: record.id, kind: .retry(after: delay, reason: "\(error)"))
            ) { [stop, group] in
                stop.withLock { $0 } || group.isTerminated
            }
            group.count { $0.retried += 1 }
        }
        await report(
            HandlerFailure(
                subscriptionID: subscriptionID,
                strategy: .mailbox,
                eventName: E.eventName,
                eventID: id,
                error: error,
                attempt: attempt,
                deadLettered: last,
                mailbox: name
            )
        )
    }

    /// Moves the event to the group's dead letters (or, under ``DeadLetterPolicy/discard``,
    /// deletes it); under ``DeadLetterPolicy/keep(limit:)`` the oldest beyond the limit go, counted
    /// in ``QueueMetrics/deadLettersDiscarded``.
    private func bury(_ record: ClaimedRecord, reason: String, countsAsAttempt: Bool = false) async {
        let store = group.store
        if case .discard = deadLetter {
            guard (try? await store.acknowledge(group: group.name, id: record.id, owner: owner)) == true else { return }
            group.count {
                $0.deadLettered += 1
                $0.deadLettersDiscarded += 1
            }
            return
        }
        var limit: Int?
        if case .keep(let keep) = deadLetter { limit = keep }
        // The move and the limit's trim are one transaction: when the count says the event is
        // dead-lettered, the limit holds.
        guard
            let (settled, trimmed) = try? await store.deadLetter(
                group: group.name,
                id: record.id,
                owner: owner,
                reason: reason,
                countsAsAttempt: countsAsAttempt,
                keeping: limit
            ), settled
        else { return }
        group.count {
            $0.deadLettered += 1
            $0.deadLettersDiscarded += UInt64(trimmed)
        }
    }
}
