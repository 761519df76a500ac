import EventLog

/// What a bounded queue does when it is full.
public enum OverflowPolicy: Sendable, Hashable, CustomStringConvertible {
    /// The producer waits until there is room (backpressure). Waiting producers are served in order.
    case suspendPublisher
    /// The oldest waiting event of the lowest non-empty lane is dropped to make room.
    case dropOldest
    /// The new event is dropped.
    case dropNewest
    /// The event is refused: a publish or send throws `BusError.rejected` (the others still get it).
    case fail

    /// The policy's name as written in code.
    public var description: String {
        switch self {
        case .suspendPublisher: "suspendPublisher"
        case .dropOldest: "dropOldest"
        case .dropNewest: "dropNewest"
        case .fail: "fail"
        }
    }
}

/// How many events a queue holds (ready, delayed and in flight together).
public enum Capacity: Sendable, Hashable {
    /// At most `limit` events; `overflow` says what happens to the next one.
    case bounded(Int, overflow: OverflowPolicy)
    /// No limit. Only for producers whose rate is bounded elsewhere.
    case unbounded

    /// The default: 10,000 events, producers wait when full.
    public static let `default` = Capacity.bounded(10_000, overflow: .suspendPublisher)

    var limit: Int {
        switch self {
        case .bounded(let limit, _): max(1, limit)
        case .unbounded: Int.max
        }
    }

    var overflow: OverflowPolicy {
        switch self {
        case .bounded(_, let overflow): overflow
        case .unbounded: .suspendPublisher
        }
    }
}
