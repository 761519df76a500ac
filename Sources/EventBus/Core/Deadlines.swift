import EventQueue

/// Fires the timeouts of a bus's requests with one sleeping task at a time, armed for the
/// earliest deadline, instead of a sleeping task per request.
///
/// A request schedules its timeout and cancels it when answered. Cancelling drops the action at
/// once; its deadline stays in the heap until it comes up or the heap is rebuilt (when it holds
/// more than twice the live deadlines), so memory follows the requests in flight. With one
/// timeout for every request, deadlines arrive in order and the sleeper is re-armed only when
/// it wakes: per request, the cost is a lock and a heap insert instead of a task, a timer and
/// its cancellation.
final class Deadlines: Sendable {
    private struct State {
        var heap = MinHeap<UInt64>()
        var live: [UInt64: (deadline: Tick, fire: @Sendable () -> Void)] = [:]
        var nextToken: UInt64 = 0
        /// The sleeper in charge of the earliest deadline, and that deadline.
        var sleeper: (id: UInt64, target: Tick)?
        var nextSleeper: UInt64 = 0
    }

    private let state = Locked(State())
    private let clock: any QueueClock

    init(clock: any QueueClock) {
        self.clock = clock
    }

    /// Runs `fire` once `duration` has passed on the bus's clock, unless cancelled first.
    /// - Returns: the token for ``cancel(_:)``.
    func schedule(after duration: Duration, _ fire: @escaping @Sendable () -> Void) -> UInt64 {
        let deadline = Tick(clock.now) + duration
        let (token, sleeper) = state.withLock { state -> (UInt64, UInt64?) in
            state.nextToken += 1
            let token = state.nextToken
            state.live[token] = (deadline, fire)
            state.heap.insert(token, key: deadline)
            if let current = state.sleeper, current.target <= deadline { return (token, nil) }
            // Earlier than the sleeper's target (or no sleeper): a new one takes charge.
            state.nextSleeper += 1
            state.sleeper = (state.nextSleeper, deadline)
            return (token, state.nextSleeper)
        }
        if let sleeper { Task { await self.sleep(sleeper, until: deadline) } }
        return token
    }

    /// Drops a deadline that has not fired; nothing happens if it has.
    func cancel(_ token: UInt64) {
        state.withLock { state in
            guard state.live.removeValue(forKey: token) != nil else { return }
            guard state.heap.count > 2 * state.live.count + 1_024 else { return }
            var heap = MinHeap<UInt64>()
            for (token, entry) in state.live { heap.insert(token, key: entry.deadline) }
            state.heap = heap
        }
    }

    /// How many deadlines are waiting (tests check that answered requests leave none).
    var pending: Int { state.withLock { $0.live.count } }

    /// Sleeps until `target`, fires what is due, and, while in charge, sleeps again until the
    /// next live deadline.
    private func sleep(_ id: UInt64, until target: Tick) async {
        var target = target
        while true {
            // Never cancelled: each sleeper is an unstructured task of its own.
            try? await clock.sleep(until: target.instant)
            let now = Tick(clock.now)
            let (due, next) = state.withLock { state -> ([@Sendable () -> Void], Tick?) in
                var due: [@Sendable () -> Void] = []
                while let top = state.heap.min {
                    if let entry = state.live[top.element] {
                        guard top.key <= now else { break }
                        due.append(entry.fire)
                        state.live[top.element] = nil
                    }
                    _ = state.heap.popMin()
                }
                guard state.sleeper?.id == id else { return (due, nil) }
                state.sleeper = state.heap.minKey.map { (id, $0) }
                return (due, state.heap.minKey)
            }
            for fire in due { fire() }
            guard let next else { return }
            target = next
        }
    }
}
