/// The lane an event travels in. Within a lane delivery is FIFO.
///
/// Lanes are served by strict priority with one anti-starvation rule: a lower lane that has
/// waited through ``Priority/starvationLimit`` deliveries from the lanes above it is due, and
/// the highest due lane is served next. A waiting lane is served at least once every 9
/// deliveries while one other lane competes with it, and at least once every 10 while all three
/// do (the due lanes take turns, highest first).
public enum Priority: UInt8, Sendable, Hashable, CaseIterable, Comparable, Codable {
    /// Served first.
    case high = 0
    /// The default lane.
    case normal = 1
    /// Served when nothing more urgent waits (subject to the anti-starvation rule).
    case low = 2

    /// How many deliveries the lanes above a waiting lane may take before it is due.
    public static let starvationLimit = 8

    /// High sorts before normal, normal before low.
    public static func < (lhs: Priority, rhs: Priority) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
