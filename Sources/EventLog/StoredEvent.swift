/// An event as the storage behind a queue keeps it.
package struct StoredEvent<Element: Sendable>: Sendable {
    /// The event.
    package var element: Element
    /// Its identifier.
    package var id: EventID
    /// Its lane.
    package var priority: Priority
    /// Deliveries started so far.
    package var attempts: Int
    /// When it may be delivered, on the wall clock (nil: at once).
    package var notBefore: WallClockInstant?
    /// Deliveries cut off by a crash (the handler never finished); they are not attempts.
    package var crashes: Int

    /// Creates a stored event.
    package init(
        element: Element,
        id: EventID,
        priority: Priority,
        attempts: Int,
        notBefore: WallClockInstant?,
        crashes: Int = 0
    ) {
        self.element = element
        self.id = id
        self.priority = priority
        self.attempts = attempts
        self.notBefore = notBefore
        self.crashes = crashes
    }
}

/// Nanoseconds since the Unix epoch: the form in which storage keeps times across restarts.
package struct WallClockInstant: Sendable, Hashable, Comparable, Codable {
    /// Nanoseconds since 1970-01-01T00:00:00Z.
    package var nanosecondsSinceEpoch: Int64

    /// Creates an instant.
    package init(nanosecondsSinceEpoch: Int64) {
        self.nanosecondsSinceEpoch = nanosecondsSinceEpoch
    }

    /// Earlier instants sort first.
    package static func < (lhs: WallClockInstant, rhs: WallClockInstant) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }
}

/// What storage hands back when a queue opens on it.
package struct RecoveredState<Element: Sendable>: Sendable {
    /// Accepted, unacknowledged events, in acceptance order.
    package var pending: [StoredEvent<Element>]
    /// Dead letters kept across the restart.
    package var deadLetters: [RecoveredDeadLetter<Element>]
    /// Recently seen ids, oldest first, to restore the dedup window.
    package var recentIDs: [EventID]
    /// Records the codec could not read (another type, a newer version, a missing key, a
    /// damaged body): never delivered, kept as dead letters with their bytes, in acceptance order.
    package var unreadable: [UnreadableRecord]

    /// Creates a recovered state.
    package init(
        pending: [StoredEvent<Element>],
        deadLetters: [RecoveredDeadLetter<Element>],
        recentIDs: [EventID],
        unreadable: [UnreadableRecord] = []
    ) {
        self.pending = pending
        self.deadLetters = deadLetters
        self.recentIDs = recentIDs
        self.unreadable = unreadable
    }
}

/// A dead letter as storage hands it back when a queue opens.
package struct RecoveredDeadLetter<Element: Sendable>: Sendable {
    /// The event and its delivery state.
    package var event: StoredEvent<Element>
    /// The last failure.
    package var reason: String
    /// When it was dead-lettered (nil: the store did not record it, as logs before format 2).
    package var deadAt: WallClockInstant?

    /// Creates a recovered dead letter.
    package init(event: StoredEvent<Element>, reason: String, deadAt: WallClockInstant? = nil) {
        self.event = event
        self.reason = reason
        self.deadAt = deadAt
    }
}

/// A stored record that its codec could not turn into an element: kept, as bytes, with why.
package struct UnreadableRecord: Sendable {
    /// Its identifier.
    package var id: EventID
    /// Its lane.
    package var priority: Priority
    /// The record's bytes as stored.
    package var body: [UInt8]
    /// Attempts that counted before it became a dead letter.
    package var attempts: Int
    /// Deliveries a crash cut off.
    package var crashes: Int
    /// Why it is a dead letter: the stored reason when it was one already, otherwise the
    /// codec's reason for the failure (``RecordCodec/deadLetterReason(for:)``).
    package var reason: String
    /// When it was dead-lettered, if known.
    package var deadAt: WallClockInstant?
    /// Dead-lettered by this recovery (it was pending until now).
    package var isNew: Bool

    /// Creates an unreadable record.
    package init(
        id: EventID,
        priority: Priority,
        body: [UInt8],
        attempts: Int,
        crashes: Int,
        reason: String,
        deadAt: WallClockInstant?,
        isNew: Bool
    ) {
        self.id = id
        self.priority = priority
        self.body = body
        self.attempts = attempts
        self.crashes = crashes
        self.reason = reason
        self.deadAt = deadAt
        self.isNew = isNew
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension WallClockInstant {
    /// The current wall-clock time.
    package static func now() -> WallClockInstant {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return WallClockInstant(nanosecondsSinceEpoch: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }
}
