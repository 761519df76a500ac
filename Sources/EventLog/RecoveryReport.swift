/// What opening a durable mailbox found and repaired.
public struct RecoveryReport: Sendable, Hashable {
    /// Records read back.
    public var records = 0
    /// Bytes of a torn tail cut off the last segment (a write a crash interrupted; never
    /// acknowledged to a publisher).
    public var truncatedBytes = 0
    /// Corrupt byte ranges skipped, never delivered, and copied to ``quarantineDirectory``.
    public var quarantinedRanges = 0
    /// Where the corrupt ranges were copied (nil when there were none).
    public var quarantineDirectory: String?
    /// Events whose body the codec could not decode; they were moved to the dead letters.
    public var undecodable: [EventID] = []
    /// Segment files found.
    public var segments = 0
    /// Events to be delivered again (accepted and never acknowledged).
    public var pending = 0
    /// Of those, events whose last delivery was cut off by a crash.
    public var interrupted = 0
    /// Dead letters kept.
    public var deadLetters = 0
    /// Events dead-lettered now because their deliveries were cut off by a crash
    /// ``RetryPolicy/maxCrashes`` times.
    public var deadLetteredAfterCrashes: [EventID] = []
    /// What is risky about where the mailbox lives, in words (for example a store directory
    /// that everybody may write to, sticky like `/tmp`). Empty when nothing is.
    public var warnings: [String] = []

    /// An empty report.
    public init() {}
}
