import Synchronization

/// The charts' memory: a `SampleRing` per mailbox for at most `mailboxes` mailboxes, so that
/// the dashboard costs the same after a week as after a minute (`mailboxes × samples × 20`
/// bytes at most: 100 × 180 × 20 = 360 kB with the defaults).
final class DashboardSamples: Sendable {
    private struct State {
        var rings: [String: SampleRing] = [:]
        var round: UInt64 = 0
    }

    /// Samples kept per mailbox.
    let samples: Int
    /// Mailboxes charted at most; beyond them a mailbox has no chart until one goes away.
    let mailboxes: Int
    private let state = Mutex(State())

    init(samples: Int, mailboxes: Int) {
        self.samples = max(2, samples)
        self.mailboxes = max(1, mailboxes)
    }

    /// Records one sample of each mailbox at `time` (seconds on a monotonic clock). A mailbox
    /// that is no longer listed loses its samples: a removed mailbox frees its ring.
    func record(_ snapshot: [MailboxSnapshot], at time: Double) {
        state.withLock { state in
            state.round += 1
            let round = state.round
            var recorded = 0
            for mailbox in snapshot {
                if state.rings[mailbox.name] == nil {
                    guard state.rings.count < mailboxes else { continue }
                    state.rings[mailbox.name] = SampleRing(capacity: samples)
                }
                state.rings[mailbox.name]?.record(
                    time: time,
                    depth: Double(mailbox.depth + mailbox.delayed),
                    arrival: mailbox.arrivalRate ?? 0,
                    consume: mailbox.consumeRate ?? 0
                )
                state.rings[mailbox.name]?.round = round
                recorded += 1
            }
            if recorded < state.rings.count { state.rings = state.rings.filter { $0.value.round == round } }
        }
    }

    /// The samples of `name`, oldest first; empty when it has none.
    func series(of name: String) -> [(time: Double, depth: Double, arrival: Double, consume: Double)] {
        state.withLock { $0.rings[name]?.ordered ?? [] }
    }

    /// How many mailboxes have samples.
    var charted: Int { state.withLock { $0.rings.count } }
}
