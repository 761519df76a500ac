import EventLog
import EventQueue

/// The settlements (acknowledgements, retries) of one `consume` loop of a consumer group, written
/// to its ``GroupStore`` together: one statement when ``limit`` have gathered (the loop waits for
/// it then), when the oldest has waited ``delay`` (a timer writes them meanwhile), and when the
/// loop waits for work or stops. At most ``limit`` are unwritten at any time — what a crash can
/// lose, and the next claimant delivers again after the lease (at least once).
///
/// One write at a time: settlements that come during a write go into the next. A write that
/// fails (the store cannot be reached) keeps its settlements for the next; writing one again
/// after an unanswered attempt changes nothing more (each is fenced by the lease's owner).
final class GroupSettlements: Sendable {
    private struct State {
        var pending: [GroupSettlement] = []
        /// Being written now.
        var writing: [GroupSettlement] = []
        var isWriting = false
        /// Callers waiting for the write in progress to end.
        var waiters: [CheckedContinuation<Void, Never>] = []
        var timer: Task<Void, Never>?
        /// Dropped at a crash: nothing more is written.
        var abandoned = false
    }

    let store: any GroupStore
    let group: String
    let owner: String
    /// Settlements written together at most; the most a crash leaves unwritten.
    let limit: Int
    /// How long the oldest unwritten settlement waits for others.
    let delay: Duration
    /// Told how many acknowledgements counted in each write (the group's `acked`).
    let acknowledged: @Sendable (Int) -> Void
    private let state = Locked(State())

    init(
        store: any GroupStore,
        group: String,
        owner: String,
        limit: Int,
        delay: Duration,
        acknowledged: @escaping @Sendable (Int) -> Void
    ) {
        self.store = store
        self.group = group
        self.owner = owner
        self.limit = max(1, limit)
        self.delay = delay
        self.acknowledged = acknowledged
    }

    /// The ids of settlements not written yet (their leases still need the heartbeat).
    var unwritten: [String] {
        state.withLock { state in (state.writing + state.pending).map(\.id) }
    }

    /// Adds a settlement. Returns at once unless ``limit`` are unwritten: then writes them and
    /// returns once fewer are (retrying with backoff while the store cannot be reached, until
    /// `stopping`).
    func add(_ settlement: GroupSettlement, stopping: @Sendable () -> Bool) async {
        let (full, startTimer) = state.withLock { state -> (Bool, Bool) in
            state.pending.append(settlement)
            let startTimer = state.timer == nil && !state.abandoned
            return (state.pending.count + state.writing.count >= limit, startTimer)
        }
        if startTimer && !full {
            let timer = Task { [weak self, delay] in
                guard (try? await Task.sleep(for: delay)) != nil else { return }
                self?.state.withLock { $0.timer = nil }
                _ = await self?.write(fromTimer: true)
            }
            state.withLock { $0.timer = timer }
        }
        guard full else { return }
        var failures = 0
        while !stopping() {
            if await write() { failures = 0 } else { failures += 1 }
            let room = state.withLock { $0.pending.count + $0.writing.count < limit || $0.abandoned }
            if room { return }
            if failures > 0 {
                try? await Task.sleep(for: .milliseconds(min(50 << min(failures, 6), 2_000)))
            }
        }
    }

    /// Writes everything unwritten now (waiting for a write in progress first). False when the
    /// store could not be reached (the settlements stay for the next write).
    @discardableResult
    func write() async -> Bool {
        await write(fromTimer: false)
    }

    /// A crash: nothing more is written; what is unwritten stays leased until the lease runs out.
    func abandon() {
        let timer = state.withLock { state -> Task<Void, Never>? in
            state.abandoned = true
            state.pending = []
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
    }

    private func write(fromTimer: Bool) async -> Bool {
        while true {
            enum Step {
                case wait
                case done
                case write([GroupSettlement])
            }
            let (step, timer) = state.withLock { state -> (Step, Task<Void, Never>?) in
                if state.abandoned { return (.done, nil) }
                if state.isWriting { return (.wait, nil) }
                guard !state.pending.isEmpty else { return (.done, nil) }
                state.isWriting = true
                state.writing = state.pending
                state.pending = []
                // This write covers the timer's settlements too.
                defer { if !fromTimer { state.timer = nil } }
                return (.write(state.writing), fromTimer ? nil : state.timer)
            }
            timer?.cancel()
            switch step {
            case .done:
                return true
            case .wait:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let now = state.withLock { state -> Bool in
                        guard state.isWriting else { return true }
                        state.waiters.append(continuation)
                        return false
                    }
                    if now { continuation.resume() }
                }
                // A timer's write ends with the write that was in progress: it covered the oldest.
                if fromTimer { return true }
            case .write(let batch):
                var succeeded = true
                do {
                    let settled = try await store.settle(group: group, owner: owner, batch)
                    let acks = batch.count { $0.kind == .acknowledge && settled.contains($0.id) }
                    if acks > 0 { acknowledged(acks) }
                } catch {
                    succeeded = false
                }
                let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                    // Kept for the next write, ahead of what came meanwhile.
                    if !succeeded && !state.abandoned { state.pending = state.writing + state.pending }
                    state.writing = []
                    state.isWriting = false
                    defer { state.waiters = [] }
                    return state.waiters
                }
                for waiter in waiters { waiter.resume() }
                return succeeded
            }
        }
    }
}
