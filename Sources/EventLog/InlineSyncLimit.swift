import Synchronization

/// How many callers may write and fsync a ``FileLog`` on their own thread at once, across every
/// log that shares this limit.
///
/// With ``SyncPolicy/always`` or ``SyncPolicy/none``, a caller that finds its log idle writes
/// its records (and fsyncs them) on its own thread instead of handing them to the log's I/O
/// queue and waiting to be resumed. That saves two thread hand-offs per commit, but the thread
/// — from the cooperative pool, when the caller is a task — is blocked until the disk answers.
/// The limit bounds how many pool threads a slow disk can hold: a caller beyond it hands its
/// records to the I/O queue and is suspended instead. A ``FileLog`` opened on its own has a
/// limit of one; a `Bus` shares one limit among all its durable mailboxes
/// (`BusConfiguration.inlineSyncThreads`). A limit of 0 keeps every write and fsync off the
/// callers' threads.
package final class InlineSyncLimit: Sendable {
    /// The most callers writing on their own thread at once.
    package let threads: Int
    private let inUse = Atomic<Int>(0)

    /// Creates a limit of `threads` (negative counts as 0).
    package init(threads: Int = 1) {
        self.threads = max(0, threads)
    }

    /// Takes a place; false when every place is taken.
    package func take() -> Bool {
        var current = inUse.load(ordering: .relaxed)
        while current < threads {
            let (exchanged, original) = inUse.compareExchange(
                expected: current,
                desired: current + 1,
                ordering: .acquiring
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back a place taken by ``take()``.
    package func give() {
        inUse.subtract(1, ordering: .releasing)
    }

    /// Callers writing on their own thread now.
    package var taken: Int { inUse.load(ordering: .relaxed) }
}
