import EventLog

// Admission and the lanes: how an event gets into the queue and out of its lane.
extension QueueState {
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

    /// Picks the next lane (DeliveryGuarantees.md, "Lanes"): each lower lane counts the
    /// deliveries made from the lanes above it while it waited; one whose count reached
    /// `Priority.starvationLimit` is due. The highest due lane is served; with none due, the
    /// highest non-empty lane. A lane's count restarts when it is served or runs empty.
    mutating func popReady() -> QueueEntry? {
        guard ready > 0 else { return nil }
        var chosen = -1
        for lane in 1...2 where !lanes[lane].isEmpty && starvation[lane] >= Priority.starvationLimit {
            chosen = lane
            break
        }
        if chosen < 0 {
            chosen = lanes[0].isEmpty ? (lanes[1].isEmpty ? 2 : 1) : 0
        }
        starvation[chosen] = 0
        for lane in (chosen + 1)..<3 {
            if lanes[lane].isEmpty { starvation[lane] = 0 } else { starvation[lane] += 1 }
        }
        ready -= 1
        return lanes[chosen].popFirst()?.entry(priority: Priority(rawValue: UInt8(chosen)) ?? .normal)
    }

    /// Drops the oldest ready event of the lowest-priority non-empty lane.
    mutating func dropOldestReady() -> Bool {
        for lane in stride(from: 2, through: 0, by: -1) where !lanes[lane].isEmpty {
            _ = lanes[lane].popFirst()
            ready -= 1
            if lanes[lane].isEmpty { starvation[lane] = 0 }
            return true
        }
        return false
    }
}
