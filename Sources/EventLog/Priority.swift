/// The lane an event travels in. Within a lane delivery is FIFO.
///
/// Lanes are served by strict priority with one anti-starvation rule: while a lower lane
/// has events waiting, at most ``Priority/starvationLimit`` consecutive deliveries come
/// from the lanes above it; the next one is taken from the highest waiting lower lane.
public enum Priority: UInt8, Sendable, Hashable, CaseIterable, Comparable, Codable {
    /// Served first.
    case high = 0
    /// The default lane.
    case normal = 1
    /// Served when nothing more urgent waits (subject to the anti-starvation rule).
    case low = 2

    /// How many consecutive deliveries a higher lane may take while a lower lane waits.
    public static let starvationLimit = 8

    /// High sorts before normal, normal before low.
    public static func < (lhs: Priority, rhs: Priority) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
