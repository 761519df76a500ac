/// When a durable mailbox's appends reach the disk.
public enum SyncPolicy: Sendable, Hashable, CustomStringConvertible {
    /// `fdatasync` before `publish` returns. Concurrent publishers share one fsync (group commit).
    case always
    /// Group commit: appends are gathered for up to `interval` or `count` records, written with
    /// one `write` and one `fdatasync`; each publish still returns only after its fsync.
    case batched(interval: Duration, count: Int)
    /// Written to the operating system, never fsynced: survives a process crash, not a power
    /// loss or kernel crash. Not crash-safe; for tests and throwaway data.
    case none

    /// Group commit every 2 ms or 1,000 records.
    public static let batched = SyncPolicy.batched(interval: .milliseconds(2), count: 1_000)

    /// The policy as written in code.
    public var description: String {
        switch self {
        case .always: "always"
        case .batched(let interval, let count): "batched(\(interval), \(count))"
        case .none: "none"
        }
    }
}
