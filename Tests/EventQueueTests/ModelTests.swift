import EventBusTestSupport
import EventLog
import EventQueue
import Testing

/// A tiny reference model of a tracked, bounded queue with immediate retry and a visibility
/// timeout. The randomized test drives it and a real `WorkQueue` with the same operations and
/// compares every observable result.
private struct ReferenceQueue {
    struct Item {
        var value: Int
        var priority: Int
        var attempts: Int
    }

    let capacity: Int
    let maxAttempts: Int
    var lanes: [[Item]] = [[], [], []]
    var starvation = [0, 0, 0]
    var inFlight: [Int: (item: Item, deadline: Int)] = [:]  // value → item, deadline in seconds
    var dead: [Int] = []
    var dropped = 0

    var held: Int { lanes.map(\.count).reduce(0, +) + inFlight.count }

    mutating func enqueue(_ value: Int, priority: Int) -> EnqueueOutcome {
        guard held < capacity else {
            dropped += 1
            return .droppedNewest
        }
        lanes[priority].append(Item(value: value, priority: priority, attempts: 0))
        return .enqueued
    }

    /// The lane rule as DeliveryGuarantees.md states it ("Lanes"), not as the queue codes it:
    /// a lower lane counts the deliveries from the lanes above it while it has events waiting;
    /// at `Priority.starvationLimit` it is due; the highest due lane goes next, else the highest
    /// lane with events; a lane's count restarts when it is served or runs empty.
    mutating func take(_ max: Int, now: Int, timeout: Int) -> [(value: Int, attempt: Int)] {
        var result: [(Int, Int)] = []
        while result.count < max, lanes.contains(where: { !$0.isEmpty }) {
            let waiting = (0..<3).filter { !lanes[$0].isEmpty }
            let due = waiting.filter { $0 > 0 && starvation[$0] >= Priority.starvationLimit }
            let chosen = due.first ?? waiting[0]
            for lane in 0..<3 {
                if lane == chosen || lanes[lane].isEmpty {
                    starvation[lane] = 0
                } else if lane > chosen {
                    starvation[lane] += 1
                }
            }
            var item = lanes[chosen].removeFirst()
            if lanes[chosen].isEmpty { starvation[chosen] = 0 }
            item.attempts += 1
            inFlight[item.value] = (item, now + timeout)
            result.append((item.value, item.attempts))
        }
        return result
    }

    mutating func ack(_ value: Int) -> Bool {
        inFlight.removeValue(forKey: value) != nil
    }

    mutating func fail(_ value: Int) -> Bool {
        guard let entry = inFlight.removeValue(forKey: value) else { return false }
        if entry.item.attempts >= maxAttempts {
            dead.append(value)
        } else {
            lanes[entry.item.priority].append(entry.item)
        }
        return true
    }

    mutating func expire(now: Int) {
        // The real queue expires in delivery order; values were delivered in increasing tag order.
        let expired = inFlight.filter { $0.value.deadline <= now }.keys.sorted { lhs, rhs in
            (inFlight[lhs]!.deadline, order[lhs] ?? 0) < (inFlight[rhs]!.deadline, order[rhs] ?? 0)
        }
        for value in expired { _ = fail(value) }
    }

    var order: [Int: Int] = [:]
}

@Suite struct ModelTests {
    @Test(arguments: 0..<40)
    func theQueueMatchesTheReferenceModel(seed: Int) async throws {
        var random = SplitMix64(seed: UInt64(seed) &* 0x9E37_79B9 &+ 1)
        let clock = ManualClock()
        let queue = WorkQueue<Int>(
            name: "model",
            configuration: QueueConfiguration(
                capacity: .bounded(12, overflow: .dropNewest),
                acknowledgement: .explicit(visibilityTimeout: .seconds(10)),
                retry: .immediate(maxAttempts: 3),
                clock: clock
            )
        )
        var model = ReferenceQueue(capacity: 12, maxAttempts: 3)
        var leases: [Int: Lease<Int>] = [:]
        var now = 0
        var nextValue = 0
        var deliveries = 0
        for _ in 0..<400 {
            switch random.next() % 10 {
            case 0, 1, 2, 3:
                let priority = Int(random.next() % 3)
                nextValue += 1
                let outcome = try await queue.enqueue(
                    nextValue,
                    id: EventID(high: 0, low: UInt64(nextValue)),
                    priority: Priority(rawValue: UInt8(priority))!
                )
                #expect(outcome == model.enqueue(nextValue, priority: priority))
            case 4, 5:
                let max = Int(random.next() % 4) + 1
                let expected = model.take(max, now: now, timeout: 10)
                let taken = expected.isEmpty ? [] : (try await queue.next(maxCount: max) ?? [])
                #expect(taken.map(\.element) == expected.map(\.value))
                #expect(taken.map(\.attempt) == expected.map(\.attempt))
                for lease in taken {
                    leases[lease.element] = lease
                    deliveries += 1
                    model.order[lease.element] = deliveries
                }
            case 6, 7:
                guard let value = leases.keys.sorted().randomElement(using: &random) else { continue }
                let lease = leases.removeValue(forKey: value)!
                let known = model.ack(value)
                do {
                    try await queue.ack(lease)
                    #expect(known)
                } catch {
                    #expect(!known)
                }
            case 8:
                guard let value = leases.keys.sorted().randomElement(using: &random) else { continue }
                let lease = leases.removeValue(forKey: value)!
                let known = model.fail(value)
                do {
                    try await queue.nack(lease, reason: "model")
                    #expect(known)
                } catch {
                    #expect(!known)
                }
            default:
                let seconds = Int(random.next() % 6) + 1
                now += seconds
                clock.advance(by: .seconds(seconds))
                model.expire(now: now)
                await queue.fireTimers()
            }
            let metrics = queue.metrics()
            #expect(metrics.depth == model.lanes.map(\.count).reduce(0, +))
            #expect(metrics.inFlight == model.inFlight.count)
            #expect(queue.deadLetters().map(\.element) == model.dead)
            #expect(metrics.dropped == UInt64(model.dropped))
        }
    }
}
