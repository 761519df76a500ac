import EventLog

/// A window within which a second event with an already seen ``EventID`` is dropped.
///
/// The window remembers the last `count` ids and/or the ids seen within `duration`,
/// whichever limits are given; an id leaves the window when either limit pushes it out.
public struct DedupWindow: Sendable, Hashable {
    /// How many recent ids are remembered (nil: no count limit).
    public var count: Int?
    /// How long an id is remembered (nil: no time limit).
    public var duration: Duration?

    /// Creates a window. At least one limit must be given; with neither, 100,000 ids are kept.
    public init(count: Int? = nil, duration: Duration? = nil) {
        self.count = count.map { max(1, $0) } ?? (duration == nil ? 100_000 : nil)
        self.duration = duration
    }
}

/// The state behind a ``DedupWindow``.
struct DedupFilter {
    let window: DedupWindow
    fileprivate var seen: Set<EventID> = []
    private var order = RingBuffer<(id: EventID, at: Tick)>()

    init(window: DedupWindow) {
        self.window = window
    }

    /// Records `id`; returns false when it was already in the window.
    mutating func insert(_ id: EventID, now: Tick) -> Bool {
        expire(now: now)
        guard seen.insert(id).inserted else { return false }
        order.append((id, now))
        if let count = window.count, order.count > count, let oldest = order.popFirst() {
            seen.remove(oldest.id)
        }
        return true
    }

    mutating func expire(now: Tick) {
        guard let duration = window.duration else { return }
        while let oldest = order.first, oldest.at + duration <= now {
            _ = order.popFirst()
            seen.remove(oldest.id)
        }
    }

    var count: Int { seen.count }
}

extension DedupFilter {
    /// Removes `id` from the window (its event was not accepted after all).
    mutating func forget(_ id: EventID) {
        seen.remove(id)
    }
}
