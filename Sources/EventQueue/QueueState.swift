/// Continuations and timer work gathered under the lock and performed after it is released.
struct QueueEffects {
    var consumers: [CheckedContinuation<Void, Never>] = []
    var producers: [(CheckedContinuation<Bool, any Error>, Result<Bool, QueueError>)] = []
    var drained: [CheckedContinuation<Void, Never>] = []
    var startTimer: Tick?
    var cancelTimer: Task<Void, Never>?

    var isEmpty: Bool {
        consumers.isEmpty && producers.isEmpty && drained.isEmpty && startTimer == nil && cancelTimer == nil
    }
}

/// What admitting an event decided.
enum Admission {
    case done(EnqueueOutcome)
    /// The queue has storage: room is reserved until the storage has the event.
    case reserved(EnqueueOutcome)
    /// Full under `.suspendPublisher`: wait with this waiter id.
    case wait(UInt64)
    case failed(QueueError)
}

/// What a failed delivery turned into, for the storage call that follows.
enum FailureOutcome {
    case retry(EventID, at: Tick?)
    case deadLettered(EventID, reason: String)
}

struct ProducerWaiter {
    var id: UInt64
    var eventID: EventID
    var continuation: CheckedContinuation<Bool, any Error>
}

/// Everything a ``WorkQueue`` guards with its mutex.
struct QueueState {
    let limit: Int
    let tracked: Bool
    let visibilityTimeout: Duration?
    let retry: RetryPolicy
    let deadLetterPolicy: DeadLetterPolicy
    let clock: any QueueClock

    var lanes = [RingBuffer<LaneEntry>](repeating: RingBuffer(), count: 3)
    var starvation = [0, 0, 0]
    var ready = 0
    var delayed = MinHeap<QueueEntry>()
    var inFlight: [UInt64: QueueEntry] = [:]
    var visibility = RingBuffer<(deadline: Tick, tag: UInt64)>()
    var reserved = 0
    var nextTag: UInt64 = 0
    var deadLetters = RingBuffer<DeadLetter<any BoxedElement>>()
    var dedup: DedupFilter?
    var consumers = RingBuffer<(id: UInt64, continuation: CheckedContinuation<Void, Never>)>()
    var producers = RingBuffer<ProducerWaiter>()
    var drainWaiters: [(id: UInt64, includeDelayed: Bool, continuation: CheckedContinuation<Void, Never>)] = []
    /// Events handed out by ``WorkQueue/next(maxCount:)`` whose handling has not been reported
    /// complete (only counted when `trackCompletion` is on).
    var outstanding = 0
    var trackCompletion = false
    var nextWaiterID: UInt64 = 0
    var closed = false
    var terminated = false
    var armed: Tick?
    var timerTask: Task<Void, Never>?
    var random: SplitMix64

    var enqueued: UInt64 = 0
    var delivered: UInt64 = 0
    var acked: UInt64 = 0
    var nacked: UInt64 = 0
    var retried: UInt64 = 0
    var dropped: UInt64 = 0
    var deduplicated: UInt64 = 0
    var deadLettered: UInt64 = 0
    var deadLettersDiscarded: UInt64 = 0
    /// What the storage found when the queue opened on it.
    var recovery: RecoveryReport?
    /// Deliveries handed out although storage could not record their attempt (a full disk).
    var attemptsNotRecorded: UInt64 = 0
    /// Bumped by `interruptConsumers()`: a consumer that was waiting returns with nothing.
    var interruptions: UInt64 = 0
    var latency = LatencyHistogram()
    var arrivals: RateMeter
    var consumption: RateMeter

    init(configuration: QueueConfiguration, now: Tick) {
        limit = configuration.capacity.limit
        if case .explicit(let timeout) = configuration.acknowledgement {
            tracked = true
            visibilityTimeout = timeout
        } else {
            tracked = false
            visibilityTimeout = nil
        }
        retry = configuration.retry
        deadLetterPolicy = configuration.deadLetter
        clock = configuration.clock
        dedup = configuration.dedup.map(DedupFilter.init(window:))
        arrivals = RateMeter(now: now)
        consumption = RateMeter(now: now)
        var seed = SystemRandomNumberGenerator()
        random = SplitMix64(seed: seed.next())
    }

    /// Events that count against the capacity.
    var held: Int { ready + delayed.count + inFlight.count + reserved }

    var isDrained: Bool { isQuiescent && delayed.isEmpty }

    /// Nothing can progress without time passing: nothing ready, reserved, in flight or being handled.
    var isQuiescent: Bool { ready == 0 && inFlight.isEmpty && reserved == 0 && outstanding == 0 }

    func satisfies(includeDelayed: Bool) -> Bool {
        if includeDelayed { return isDrained }
        guard isQuiescent else { return false }
        guard let due = delayed.minKey else { return true }
        return due > Tick(clock.now)
    }

    // MARK: Admission

    /// Applies the overflow policy and dedup, then inserts the event (or, with `reserve`,
    /// reserves its room until storage has it).
    mutating func admit(
        _ element: any BoxedElement,
        id: EventID,
        priority: Priority,
        notBefore: Tick?,
        now: Tick,
        mayWait: Bool,
        overflow: OverflowPolicy,
        reserve: Bool,
        effects: inout QueueEffects
    ) -> Admission {
        if closed { return .failed(.closed) }
        var outcome = EnqueueOutcome.enqueued
        if held >= limit || !producers.isEmpty {
            switch overflow {
            case .fail:
                return .failed(.full(capacity: limit))
            case .dropNewest:
                dropped += 1
                return .done(.droppedNewest)
            case .dropOldest:
                guard dropOldestReady() else {
                    dropped += 1
                    return .done(.droppedNewest)
                }
                dropped += 1
                outcome = .droppedOldest
            case .suspendPublisher:
                guard mayWait else { return .failed(.full(capacity: limit)) }
                nextWaiterID += 1
                return .wait(nextWaiterID)
            }
        }
        guard dedupAdmit(id) else { return .done(.duplicate) }
        if reserve {
            reserved += 1
            return .reserved(outcome)
        }
        enqueued += 1
        arrivals.record(1, now: now)
        insert(
            QueueEntry(element: element, id: id, priority: priority, attempts: 0, enqueuedAt: now),
            notBefore: notBefore,
            now: now,
            effects: &effects
        )
        return .done(outcome)
    }

    // MARK: Lanes

    mutating func insert(
        _ entry: QueueEntry,
        notBefore: Tick?,
        now: Tick,
        effects: inout QueueEffects
    ) {
        if let notBefore, notBefore > now {
            delayed.insert(entry, key: notBefore)
            rearm(&effects)
        } else {
            lanes[Int(entry.priority.rawValue)].append(LaneEntry(entry))
            ready += 1
            wakeConsumers(1, &effects)
        }
    }

    /// Picks the next lane: the highest non-empty one, unless a lower waiting lane has seen
    /// `Priority.starvationLimit` deliveries from above in a row.
    mutating func popReady() -> QueueEntry? {
        guard ready > 0 else { return nil }
        var chosen = -1
        for lane in stride(from: 2, through: 1, by: -1)
        where !lanes[lane].isEmpty && starvation[lane] >= Priority.starvationLimit {
            chosen = lane
            break
        }
        if chosen < 0 {
            chosen = lanes[0].isEmpty ? (lanes[1].isEmpty ? 2 : 1) : 0
        }
        starvation[chosen] = 0
        for lane in (chosen + 1)..<3 where !lanes[lane].isEmpty { starvation[lane] += 1 }
        ready -= 1
        return lanes[chosen].popFirst()?.entry(priority: Priority(rawValue: UInt8(chosen)) ?? .normal)
    }

    /// Drops the oldest ready event of the lowest-priority non-empty lane.
    mutating func dropOldestReady() -> Bool {
        for lane in stride(from: 2, through: 0, by: -1) where !lanes[lane].isEmpty {
            _ = lanes[lane].popFirst()
            ready -= 1
            return true
        }
        return false
    }

    // MARK: Delivery

    mutating func take(max: Int, now: Tick, effects: inout QueueEffects) -> [Lease<any BoxedElement>] {
        var batch: [Lease<any BoxedElement>] = []
        batch.reserveCapacity(Swift.min(max, ready))
        while batch.count < max, var entry = popReady() {
            entry.attempts += 1
            delivered += 1
            if tracked {
                nextTag += 1
                inFlight[nextTag] = entry
                if let visibilityTimeout {
                    visibility.append((now + visibilityTimeout, nextTag))
                }
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
                acked += 1
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
        if trackCompletion { outstanding += batch.count }
        if tracked {
            if visibilityTimeout != nil { rearm(&effects) }
        } else if !batch.isEmpty {
            consumption.record(UInt64(batch.count), now: now)
            grantProducers(&effects)
            checkDrained(&effects)
        }
        return batch
    }

    mutating func acknowledge(
        tag: UInt64,
        now: Tick,
        effects: inout QueueEffects
    ) -> QueueEntry? {
        guard let removed = inFlight.removeValue(forKey: tag) else { return nil }
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
        nacked += 1
        let entry = removed
        if entry.attempts >= retry.maxAttempts {
            bury(entry, reason: reason, now: now, effects: &effects)
            return .deadLettered(entry.id, reason: reason)
        }
        retried += 1
        let delay = retry.delay(afterAttempt: entry.attempts, unit: random.nextUnit())
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

    mutating func bury(
        _ entry: QueueEntry,
        reason: String,
        now: Tick,
        effects: inout QueueEffects
    ) {
        deadLettered += 1
        switch deadLetterPolicy {
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
                    deadLetteredAt: now.instant
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

    // MARK: Timers

    /// Moves due delayed events to their lanes and fails expired in-flight ones.
    mutating func fireTimers(now: Tick, effects: inout QueueEffects) -> [FailureOutcome] {
        armed = nil
        timerTask = nil
        var woken = 0
        while let due = delayed.minKey, due <= now, let next = delayed.popMin() {
            lanes[Int(next.element.priority.rawValue)].append(LaneEntry(next.element))
            ready += 1
            woken += 1
        }
        wakeConsumers(woken, &effects)
        checkDrained(&effects)
        var outcomes: [FailureOutcome] = []
        while let first = visibility.first, first.deadline <= now {
            _ = visibility.popFirst()
            if let outcome = fail(tag: first.tag, reason: "visibility timeout expired", now: now, effects: &effects) {
                outcomes.append(outcome)
            }
        }
        rearm(&effects)
        return outcomes
    }

    mutating func rearm(_ effects: inout QueueEffects) {
        guard !terminated else { return }
        while let first = visibility.first, inFlight[first.tag] == nil { _ = visibility.popFirst() }
        let candidates = [delayed.minKey, visibility.first?.deadline].compactMap { $0 }
        guard let earliest = candidates.min() else { return }
        if let armed, armed <= earliest { return }
        armed = earliest
        effects.cancelTimer = timerTask
        timerTask = nil
        effects.startTimer = earliest
    }

    // MARK: Waiters

    mutating func wakeConsumers(_ count: Int, _ effects: inout QueueEffects) {
        var remaining = count
        while remaining > 0, let waiter = consumers.popFirst() {
            effects.consumers.append(waiter.continuation)
            remaining -= 1
        }
    }

    mutating func grantProducers(_ effects: inout QueueEffects) {
        while !producers.isEmpty && held < limit, let waiter = producers.popFirst() {
            if !dedupAdmit(waiter.eventID) {
                effects.producers.append((waiter.continuation, .success(false)))
                continue
            }
            reserved += 1
            effects.producers.append((waiter.continuation, .success(true)))
        }
    }

    /// Records `id` in the dedup window; false when it is a duplicate.
    mutating func dedupAdmit(_ id: EventID) -> Bool {
        guard dedup != nil else { return true }
        if dedup!.insert(id, now: Tick(clock.now)) { return true }
        deduplicated += 1
        return false
    }

    mutating func checkDrained(_ effects: inout QueueEffects) {
        guard !drainWaiters.isEmpty, isQuiescent else { return }
        var kept: [(id: UInt64, includeDelayed: Bool, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in drainWaiters {
            if satisfies(includeDelayed: waiter.includeDelayed) {
                effects.drained.append(waiter.continuation)
            } else {
                kept.append(waiter)
            }
        }
        drainWaiters = kept
    }

    mutating func closeAll(error: QueueError, effects: inout QueueEffects) {
        while let waiter = producers.popFirst() {
            effects.producers.append((waiter.continuation, .failure(error)))
        }
        wakeConsumers(consumers.count, &effects)
        checkDrained(&effects)
    }
}

/// A small, fast, seedable pseudo-random generator: backoff jitter, and every seeded test,
/// simulation and tool in the package.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    package mutating func nextUnit() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53)
    }
}
