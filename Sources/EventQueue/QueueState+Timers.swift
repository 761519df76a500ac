import EventLog

// Timers and waiters: delays and visibility timeouts, consumers, producers and drain waits.
extension QueueState {
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
        while let first = visibility.min, first.key <= now {
            _ = visibility.popMin()
            if let outcome = fail(tag: first.element, reason: "visibility timeout expired", now: now, effects: &effects)
            {
                outcomes.append(outcome)
            }
        }
        rearm(&effects)
        return outcomes
    }

    mutating func rearm(_ effects: inout QueueEffects) {
        guard !terminated else { return }
        while let first = visibility.min, inFlight[first.element] == nil { _ = visibility.popMin() }
        let candidates = [delayed.minKey, visibility.minKey].compactMap { $0 }
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
            effects.wake(waiter.continuation)
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
