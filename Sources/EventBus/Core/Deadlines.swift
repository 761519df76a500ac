import EventLog
import EventQueue

/// Fires the timeouts of a bus's requests with one sleeping task at a time, armed for the
/// earliest deadline, instead of a sleeping task per request.
///
/// A request schedules its timeout and cancels it when answered. Cancelling drops the action at
/// once; its deadline stays in the heap until it comes up or the heap is rebuilt (when it holds
/// more than twice the live deadlines), so memory follows the requests in flight. With one
/// timeout for every request, deadlines arrive in order and the sleeper is re-armed only when
/// it wakes: per request, the cost is a lock and a heap insert instead of a task, a timer and
/// its cancellation. A deadline earlier than the sleeper's replaces the sleeper (which is
/// cancelled), so there is never more than one; it holds the bus's deadlines weakly and ends
/// when nothing is left to wait for.
final class Deadlines: Sendable {
    private struct State {
        var heap = MinHeap<UInt64>()
        var live: [UInt64: (deadline: Tick, fire: @Sendable () -> Void)] = [:]
        var nextToken: UInt64 = 0
        /// The one sleeper: its id, the deadline it sleeps until, and its task.
        var sleeper: (id: UInt64, target: Tick, task: Task<Void, Never>)?
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
        let (token, replaced) = state.withLock { state -> (UInt64, Task<Void, Never>?) in
            state.nextToken += 1
            let token = state.nextToken
            state.live[token] = (deadline, fire)
            state.heap.insert(token, key: deadline)
            if let current = state.sleeper, current.target <= deadline { return (token, nil) }
            // Earlier than the sleeper's target, or no sleeper: a new one replaces it, so that
            // there is never more than one (a long timeout's sleeper does not linger).
            let replaced = state.sleeper?.task
            state.nextSleeper += 1
            let id = state.nextSleeper
            let task = Task { [weak self, clock] in
                var target = deadline
                while true {
                    do {
                        try await clock.sleep(until: target.instant)
                    } catch {
                        return  // replaced by a sleeper with an earlier target
                    }
                    guard let next = self?.fireDue(sleeper: id) else { return }
                    target = next
                }
            }
            state.sleeper = (id, deadline, task)
            return (token, replaced)
        }
        replaced?.cancel()
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

    /// Fires every deadline that has passed. Returns the next live deadline for sleeper `id` to
    /// sleep until, or nil when it should stop: nothing is left, or it was replaced.
    private func fireDue(sleeper id: UInt64) -> Tick? {
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
            guard let sleeper = state.sleeper, sleeper.id == id else { return (due, nil) }
            guard let next = state.heap.minKey else {
                state.sleeper = nil
                return (due, nil)
            }
            state.sleeper = (id, next, sleeper.task)
            return (due, next)
        }
        for fire in due { fire() }
        return next
    }
}
