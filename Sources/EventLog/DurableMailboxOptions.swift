/// Limits of the durable mailboxes of a bus (``BusConfiguration/durableOptions``): how large a
/// record may be and when a segment file rolls over.
public struct DurableMailboxOptions: Sendable, Hashable {
    /// The largest record accepted or read, in bytes (checked before anything is allocated).
    public var maxRecordSize: Int
    /// A segment rolls over once it holds this many bytes.
    public var segmentSize: Int

    /// 1 MiB records, 64 MiB segments.
    public init(maxRecordSize: Int = 1 << 20, segmentSize: Int = 64 << 20) {
        self.maxRecordSize = max(64, maxRecordSize)
        self.segmentSize = max(4_096, segmentSize)
    }
}
