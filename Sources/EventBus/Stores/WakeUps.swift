import EventLog

/// Claimants waiting for work, by group: a wake-up for a group (a notification, a close) resumes
/// each of its waiters; a waiter that hears nothing resumes after its timeout, and a cancelled one
/// at once. What a ``GroupStore`` uses to implement ``GroupStore/waitForWork(group:timeout:)``.
package final class WakeUps: Sendable {
    private struct State {
        var next: UInt64 = 0
        var waiters: [String: [UInt64: CheckedContinuation<Void, Never>]] = [:]
        /// Waiters whose timeout or cancellation came before they were registered.
        var early: Set<UInt64> = []
        /// Wake-ups so far, per group and for all groups: a claimant reads them before it looks
        /// for work, so that a wake-up that comes before it waits is not lost.
        var generations: [String: UInt64] = [:]
        var everyGroup: UInt64 = 0
    }

    private let state = Locked(State())

    /// Creates an empty set of waiters.
    package init() {}

    /// How many wake-ups `group` has had: read it before looking for work, and pass it to
    /// ``wait(group:timeout:since:)``.
    package func generation(of group: String) -> UInt64 {
        state.withLock { $0.generations[group, default: 0] &+ $0.everyGroup }
    }

    /// Returns on a wake-up for `group`, after `timeout`, or when the task is cancelled — at once
    /// when `group` had a wake-up since ``generation(of:)`` returned `generation`.
    package func wait(group: String, timeout: Duration, since generation: UInt64? = nil) async {
        let id = state.withLock { state -> UInt64 in
            state.next += 1
            return state.next
        }
        let timer = Task { [weak self] in
            // Cancelled: the wait ended otherwise.
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            self?.resume(group: group, id: id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled || state.early.remove(id) != nil { return true }
                    if let generation, state.generations[group, default: 0] &+ state.everyGroup != generation {
                        return true
                    }
                    state.waiters[group, default: [:]][id] = continuation
                    return false
                }
                if cancelled { continuation.resume() }
            }
        } onCancel: {
            resume(group: group, id: id)
        }
        timer.cancel()
        state.withLock { state in _ = state.early.remove(id) }
    }

    /// Resumes every waiter of `group`.
    package func wake(group: String) {
        let resumed = state.withLock { state in
            state.generations[group, default: 0] &+= 1
            return state.waiters.removeValue(forKey: group) ?? [:]
        }
        for continuation in resumed.values { continuation.resume() }
    }

    /// Resumes every waiter of every group.
    package func wakeAll() {
        let resumed = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            defer { state.waiters = [:] }
            state.everyGroup &+= 1
            return state.waiters.values.flatMap(\.values)
        }
        for continuation in resumed { continuation.resume() }
    }

    private func resume(group: String, id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let continuation = state.waiters[group]?.removeValue(forKey: id) { return continuation }
            state.early.insert(id)
            return nil
        }
        continuation?.resume()
    }
}
