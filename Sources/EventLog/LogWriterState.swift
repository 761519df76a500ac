// The log's state types live outside the generic `FileLog<Element>`: nested in it they would be
// generic too, and unspecialised code would look up their metadata (and that of every array and
// lock of them) at run time on every append and flush.

/// Append records framed outside a ``FileLog``'s lock, checksums included, in one buffer: under
/// the lock a batch costs an index entry per event and one copy of its bytes.
struct FramedBatch {
    private(set) var frames: [UInt8] = []
    private(set) var ids: [EventID] = []
    private let count: Int
    private var sequence: UInt64

    /// A batch of `count` records numbered from `firstSequence`.
    init(count: Int, firstSequence: UInt64) {
        self.count = count
        self.sequence = firstSequence
        ids.reserveCapacity(count)
    }

    /// Frames the next record, its body appended by `body`.
    /// - Throws: ``StoreFailure/recordTooLarge(size:limit:)`` past `limit`, or what `body` throws.
    mutating func add(
        id: EventID,
        priority: Priority,
        attempts: Int,
        notBefore: WallClockInstant?,
        limit: Int,
        body: (inout [UInt8]) throws -> Void
    ) throws {
        let start = frames.count
        let bodySize = try LogRecord.appendFrame(
            id: id,
            sequence: sequence,
            priority: priority,
            attempts: UInt32(clamping: attempts),
            notBefore: notBefore?.nanosecondsSinceEpoch,
            into: &frames,
            body: body
        )
        let size = bodySize + 47
        guard size <= limit else { throw StoreFailure.recordTooLarge(size: size, limit: limit) }
        if ids.isEmpty {
            // Room for the batch at the first record's size, and then some: growing by doubling
            // would copy it several times.
            frames.reserveCapacity((frames.count - start) * count * 5 / 4 + 256)
        }
        ids.append(id)
        sequence &+= 1
    }
}

/// A caller waiting for its records to be written (and fsynced).
struct LogWaiter {
    let continuation: CheckedContinuation<Void, any Error>
}

/// Everything a ``FileLog`` changes, behind its lock.
struct LogWriterState {
    var fd: Int32 = -1
    var lockFD: Int32 = -1
    var segment: UInt64 = 0
    /// The current segment's file, kept for error messages (a flush must not build it).
    var segmentPath = ""
    /// Where the next write goes in the current segment: the end of its records.
    var segmentBytes = 0
    /// The segment file's size: written records, then space allocated ahead (zeros), so that
    /// an fsync after a write within it need not also record a new file size, and so that the
    /// acknowledgements the log owes its unsettled events can be written on a full disk.
    var segmentReserved = 0
    /// Events appended (or being appended) and not yet acknowledged, pending or dead. The current
    /// segment keeps room allocated for an acknowledgement and an attempt record of each.
    var unsettled = 0
    /// Bytes a flush has taken from the buffer and is writing.
    var writing = 0
    /// The ids of the events whose append records are in the buffer, in order: indexed when the
    /// flush that writes them succeeds, forgotten when it fails.
    var bufferedAppends: [EventID] = []
    /// The ids the last flush indexed, emptied with their capacity kept: the next flush's list.
    var spareAppends: [EventID] = []
    var buffer: [UInt8] = []
    /// The buffer the last flush wrote, emptied with its capacity kept: the next flush's buffer.
    var spareBuffer: [UInt8] = []
    var waiters: [LogWaiter] = []
    var needsSync = false
    var scheduled = false
    /// A flush has taken the buffer and is writing it (on the I/O queue or a leading caller).
    var flushing = false
    /// Durable records in the buffer: `.batched` writes a group once it holds `count` of them.
    var durableRecords = 0
    var delayedScheduled = false
    /// Flushes a caller ran on its own thread (see `FileLog.lead`).
    var inlineFlushes = 0
    /// Durable callers in the buffer, the ones the last fsync released, and how many durable
    /// callers have arrived since: the next fsync waits for the released group (`FileLog.write`).
    var groupCallers = 0
    var released = 0
    var returned = 0
    /// A flush on the I/O queue waits for the released group (or for one fsync's time).
    var holding = false
    /// The group is back and the waiting flush has been told.
    var holdSignalled = false
    /// How long the last fsync took.
    var lastSyncNanoseconds: UInt64 = 0
    /// A failure that leaves the disk's state in doubt (an fsync or write error other than a
    /// full disk): the log refuses writes until it is reopened.
    var poisoned: StoreFailure?
    var closed = false
    /// Unsettled (pending or dead) events per segment, to delete settled segments.
    var live: [UInt64: Int] = [:]
    /// The floor of the last directory scan: no segment below it can appear again, so the
    /// directory is listed only when the floor moves (not after every flush).
    var scannedFloor: UInt64?
    var segmentOf = SegmentIndex()
    var recent = RingBuffer<EventID>()
    var report = RecoveryReport()

    /// A durable caller's records join the buffer: one more of its group, and one more back
    /// since the last fsync.
    mutating func countDurableCaller() {
        groupCallers += 1
        returned += 1
    }

    /// How large the current segment's allocation must be once `bytes` more bytes of records are
    /// buffered, `appending` of them new events and `settling` of them acknowledgements: the
    /// records, then room for an acknowledgement and an attempt record of every unsettled event
    /// when events are appended, or for an acknowledgement of each otherwise (so that attempt
    /// records may use the rest, and acknowledgements always fit).
    func allocationNeeded(adding bytes: Int, appending: Int, settling: Int) -> Int {
        let end = segmentBytes + writing + buffer.count + bytes
        if appending > 0 {
            return end + (unsettled + appending) * (LogFormat.ackRecordSize + LogFormat.attemptRecordSize)
        }
        return end + max(0, unsettled - settling) * LogFormat.ackRecordSize
    }

    /// Whether callers the last fsync released are still coming back, counting `arriving` more.
    func awaitsGroup(arriving: Int = 0) -> Bool { returned + arriving < released }

    /// Why a write is refused now: the log failed earlier, or it is closed.
    var refusal: StoreFailure? {
        if let poisoned { return .refusingWrites(since: poisoned) }
        if closed || fd < 0 { return .closed }
        return nil
    }
}
