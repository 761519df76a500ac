import EventLog

// Delivery: taking, acknowledging, failing and burying events.
extension QueueState {
    /// Takes up to `max` ready events; `consumer`: the taking consumer's own settings (nil: the
    /// queue's), which settle these deliveries.
    mutating func take(
        max: Int,
        now: Tick,
        consumer: ConsumerSettings? = nil,
        effects: inout QueueEffects
    ) -> [Lease<any BoxedElement>] {
        var batch: [Lease<any BoxedElement>] = []
        batch.reserveCapacity(Swift.min(max, ready))
        take(max: max, now: now, consumer: consumer, into: &batch, effects: &effects)
        return batch
    }

    /// Appends up to `max` ready events to `batch` (a consumer's buffer, reused from take to take).
    mutating func take(
        max: Int,
        now: Tick,
        consumer: ConsumerSettings? = nil,
        into batch: inout [Lease<any BoxedElement>],
        effects: inout QueueEffects
    ) {
        let start = batch.count
        let max = start + max
        let timeout = consumer == nil ? visibilityTimeout : consumer?.visibilityTimeout
        while batch.count < max, var entry = popReady() {
            entry.attempts += 1
            delivered += 1
            if tracked {
                nextTag += 1
                inFlight[nextTag] = entry
                if let timeout {
                    visibility.insert(nextTag, key: now + timeout)
                }
                if let consumer { settings[nextTag] = consumer }
                batch.append(
                    Lease(
                        element: entry.element,
                        id: entry.id,
                        priority: entry.priority,
                        attempt: entry.attempts,
                        tag: nextTag
                    )
                )
            } else {
                latency.record(nanoseconds: UInt64(clamping: now - entry.enqueuedAt))
                batch.append(
                    Lease(
                        element: entry.element,
                        id: entry.id,
                        priority: entry.priority,
                        attempt: entry.attempts,
                        tag: 0
                    )
                )
            }
        }
        let taken = batch.count - start
        if trackCompletion { outstanding += taken }
        if tracked {
            if timeout != nil { rearm(&effects) }
        } else if taken > 0 {
            // In flight until the consumer reports them handled (``settleUntracked(_:now:)``):
            // a consumer's fetched-ahead events are neither ready nor done.
            handedOut += taken
            grantProducers(&effects)
            checkDrained(&effects)
        }
    }

    /// Counts `count` untracked events handed out earlier as handled (acknowledged).
    mutating func settleUntracked(_ count: Int, now: Tick) {
        let settled = Swift.min(count, handedOut)
        guard settled > 0 else { return }
        handedOut -= settled
        acked += UInt64(settled)
        consumption.record(UInt64(settled), now: now)
    }

    mutating func acknowledge(
        tag: UInt64,
        now: Tick,
        effects: inout QueueEffects
    ) -> QueueEntry? {
        guard let removed = inFlight.removeValue(forKey: tag) else { return nil }
        if !settings.isEmpty { settings.removeValue(forKey: tag) }
        acked += 1
        consumption.record(1, now: now)
        latency.record(nanoseconds: UInt64(clamping: now - removed.enqueuedAt))
        grantProducers(&effects)
        checkDrained(&effects)
        return removed
    }

    /// Settles a failed delivery: another attempt after the backoff, or the dead letters.
    mutating func fail(
        tag: UInt64,
        reason: String,
        now: Tick,
        effects: inout QueueEffects
    )
        -> FailureOutcome?
    {
        guard let removed = inFlight.removeValue(forKey: tag) else { return nil }
        let consumer = settings.isEmpty ? nil : settings.removeValue(forKey: tag)
        let retry = consumer?.retry ?? self.retry
        nacked += 1
        let entry = removed
        if entry.attempts >= retry.maxAttempts {
            let policy = consumer?.deadLetter ?? deadLetterPolicy
            bury(entry, reason: reason, policy: policy, now: now, effects: &effects)
            return .deadLettered(entry.id, reason: reason, policy: policy)
        }
        retried += 1
        let delay = retry.delay(afterAttempt: entry.attempts, unit: random.nextUnit())
        if shared {
            // Back to the store, visible again after the backoff, for whichever instance claims
            // it next: nothing of it stays here.
            grantProducers(&effects)
            checkDrained(&effects)
            return .retry(entry.id, at: delay > .zero ? now + delay : nil)
        }
        if delay > .zero {
            let due = now + delay
            delayed.insert(entry, key: due)
            rearm(&effects)
            return .retry(entry.id, at: due)
        }
        lanes[Int(entry.priority.rawValue)].append(LaneEntry(entry))
        ready += 1
        wakeConsumers(1, &effects)
        return .retry(entry.id, at: nil)
    }

    /// Moves `entry` to the dead letters under `policy` (nil: the queue's), dead-lettered at `at`
    /// (nil: `now`).
    mutating func bury(
        _ entry: QueueEntry,
        reason: String,
        policy: DeadLetterPolicy? = nil,
        now: Tick,
        at: Tick? = nil,
        effects: inout QueueEffects
    ) {
        deadLettered += 1
        if let deadLetterObserver {
            effects.deadLetterObserver = deadLetterObserver
            effects.buried.append(DeadLetterNote(id: entry.id, attempts: entry.attempts, reason: reason))
        }
        switch policy ?? deadLetterPolicy {
        case .discard:
            deadLettersDiscarded += 1
        case .keep(let keepLimit):
            deadLetters.append(
                DeadLetter(
                    element: entry.element,
                    id: entry.id,
                    priority: entry.priority,
                    attempts: entry.attempts,
                    reason: reason,
                    deadLetteredAt: (at ?? now).instant
                )
            )
            while deadLetters.count > Swift.max(0, keepLimit) {
                _ = deadLetters.popFirst()
                deadLettersDiscarded += 1
            }
        }
        grantProducers(&effects)
        checkDrained(&effects)
    }
}
