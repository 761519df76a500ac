import EventLog

/// What a durable mailbox found and repaired when it opened (`RecoveryReport` of the
/// bus), or, read from the files of a mailbox, what its next opening will find.
public struct RecoverySnapshot: Sendable, Hashable, Codable {
    /// Records read.
    public var records: Int
    /// Segment files.
    public var segments: Int
    /// Bytes of a torn tail cut (or, read from files, to be cut at the next opening).
    public var truncatedBytes: Int
    /// Corrupt ranges moved to the quarantine folder.
    public var quarantinedRanges: Int
    /// Stored events whose body could not be decoded (made dead letters).
    public var undecodable: Int
    /// Events pending when it opened.
    public var pending: Int
    /// Of those, deliveries a crash had cut off.
    public var interrupted: Int
    /// Dead letters when it opened.
    public var deadLetters: Int
    /// What the store warns about, word for word.
    public var warnings: [String]

    /// An empty report.
    public init() {
        records = 0
        segments = 0
        truncatedBytes = 0
        quarantinedRanges = 0
        undecodable = 0
        pending = 0
        interrupted = 0
        deadLetters = 0
        warnings = []
    }

    /// The snapshot of a bus's recovery report.
    public init(_ report: RecoveryReport) {
        records = report.records
        segments = report.segments
        truncatedBytes = report.truncatedBytes
        quarantinedRanges = report.quarantinedRanges
        undecodable = report.undecodable.count
        pending = report.pending
        interrupted = report.interrupted
        deadLetters = report.deadLetters
        warnings = report.warnings
    }

    /// Whether it found anything to repair or warn about.
    public var foundProblems: Bool {
        truncatedBytes > 0 || quarantinedRanges > 0 || undecodable > 0 || !warnings.isEmpty
    }
}
