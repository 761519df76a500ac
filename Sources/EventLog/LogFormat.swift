/// The on-disk format of a durable mailbox.
///
/// A segment file starts with a 16-byte header — the magic `EVBUSLOG`, a little-endian `UInt32`
/// format version and four reserved bytes — followed by records. A record is
/// `length: UInt32 LE | crc32c(payload): UInt32 LE | payload[length]`. The payload's first byte
/// is its kind, followed by the 16-byte event id and the kind's fields.
///
/// Version 2 adds one record kind (9, a dead letter with the time it died). A build reads every
/// version up to its own (``readableVersions``): segments written before stay as they are and
/// are read as they were; new records go only into segments of the current version (recovery
/// starts a new segment rather than append to an older one).
package enum LogFormat {
    package static let magic: [UInt8] = Array("EVBUSLOG".utf8)
    /// The version of the segments this build writes.
    package static let version: UInt32 = 2
    /// The versions this build reads: every one so far.
    package static let readableVersions: ClosedRange<UInt32> = 1...version
    package static let headerSize = 16
    /// A segment file grows in steps of this many bytes, ahead of the records written into it;
    /// zeros after the last record are that reserved space (see ``SegmentScan/reservedBytes``).
    package static let reservationStep = 1 << 20
    package static let recordOverhead = 8
    /// The bytes of an acknowledgement record (frame, kind, id).
    package static let ackRecordSize = 25
    /// The bytes of an attempt record (frame, kind, id, attempt).
    package static let attemptRecordSize = 29

    package static var header: [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt32(0))
        return bytes
    }

    package static func segmentName(_ index: UInt64) -> String {
        let digits = String(index)
        return "segment-" + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + ".log"
    }

    package static func segmentIndex(_ name: String) -> UInt64? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".log") else { return nil }
        return UInt64(name.dropFirst(8).dropLast(4))
    }
}

/// One state change in a mailbox's log.
package enum LogRecord: Equatable, Sendable {
    /// An event was accepted.
    case append(id: EventID, sequence: UInt64, priority: Priority, attempts: UInt32, notBefore: Int64?, body: [UInt8])
    /// The event was handled.
    case ack(id: EventID)
    /// Delivery attempt `attempt` starts.
    case attempt(id: EventID, attempt: UInt32)
    /// The next attempt waits until `notBefore` (nanoseconds since the epoch).
    case reschedule(id: EventID, notBefore: Int64?)
    /// The event became a dead letter, at `at` (nanoseconds since the epoch; nil in a record of
    /// format 1, kind 5, which did not store the time; with a time it is kind 9).
    case dead(id: EventID, reason: String, at: Int64? = nil)
    /// A dead letter was put back.
    case requeue(id: EventID)
    /// An id kept for dedup after its segment was deleted.
    case seen(id: EventID)
    /// The delivery attempt in progress was given back unfinished (a clean shutdown, or the
    /// subscriber left): it does not count as an attempt, nor as a crash.
    case release(id: EventID)

    package var id: EventID {
        switch self {
        case .append(let id, _, _, _, _, _), .ack(let id), .attempt(let id, _), .reschedule(let id, _),
            .dead(let id, _, _), .requeue(let id), .seen(let id), .release(let id):
            id
        }
    }

    /// The most UTF-8 bytes of a dead letter's reason that a record keeps.
    package static let maxReasonBytes = 4_096

    /// `reason` cut to at most ``maxReasonBytes`` of UTF-8, between two scalars. Decoding applies
    /// the same cut: invalid bytes decode to U+FFFD, three bytes each, so a reason read from disk
    /// can be longer than the bytes it came from, and it must still encode to what decodes to it.
    package static func storedReason(_ reason: String) -> String {
        guard reason.utf8.count > maxReasonBytes else { return reason }
        var length = 0
        var end = reason.unicodeScalars.startIndex
        for scalar in reason.unicodeScalars {
            length += UTF8.width(scalar)
            if length > maxReasonBytes { break }
            reason.unicodeScalars.formIndex(after: &end)
        }
        return String(reason.unicodeScalars[..<end])
    }

    /// The payload bytes (without length and checksum).
    package func encodePayload() -> [UInt8] {
        var bytes: [UInt8] = []
        encodePayload(into: &bytes)
        return bytes
    }

    /// Appends the payload bytes (without length and checksum) to `bytes`. It never reserves
    /// capacity: an exact reservation on a growing buffer would copy it at every record.
    package func encodePayload(into bytes: inout [UInt8]) {
        func put(_ kind: UInt8, _ id: EventID) {
            bytes.append(kind)
            bytes.appendLittleEndian(id.high)
            bytes.appendLittleEndian(id.low)
        }
        switch self {
        case .append(let id, let sequence, let priority, let attempts, let notBefore, let body):
            Self.putAppendFields(
                id: id,
                sequence: sequence,
                priority: priority,
                attempts: attempts,
                notBefore: notBefore,
                withFrame: false,
                into: &bytes
            )
            bytes += body
        case .ack(let id): put(2, id)
        case .attempt(let id, let attempt):
            put(3, id)
            bytes.appendLittleEndian(attempt)
        case .reschedule(let id, let notBefore):
            put(4, id)
            bytes.appendLittleEndian(UInt64(bitPattern: notBefore ?? Int64.min))
        case .dead(let id, let reason, let at):
            if let at {
                put(9, id)
                bytes.appendLittleEndian(at)
            } else {
                put(5, id)
            }
            bytes += Self.storedReason(reason).utf8
        case .requeue(let id): put(6, id)
        case .seen(let id): put(7, id)
        case .release(let id): put(8, id)
        }
    }

    /// The framed record: length, CRC-32C, payload.
    package func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }

    /// Appends the framed record (length, CRC-32C, payload) to `bytes`, without an intermediate
    /// buffer: the payload is written in place and the frame filled in after it.
    package func encode(into bytes: inout [UInt8]) {
        let frame = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: LogFormat.recordOverhead))
        encodePayload(into: &bytes)
        let length = UInt32(bytes.count - frame - LogFormat.recordOverhead)
        let checksum = CRC32C.checksum(bytes[(frame + LogFormat.recordOverhead)...])
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: length.littleEndian, toByteOffset: frame, as: UInt32.self)
            raw.storeBytes(of: checksum.littleEndian, toByteOffset: frame + 4, as: UInt32.self)
        }
    }

    /// An append record's payload up to its body — kind, id, sequence, lane, attempts,
    /// not-before — after the frame's eight bytes (zeros, filled in later) when `withFrame`.
    /// Written on the stack and appended at once: one append per record, not one per field.
    private static func putAppendFields(
        id: EventID,
        sequence: UInt64,
        priority: Priority,
        attempts: UInt32,
        notBefore: Int64?,
        withFrame: Bool,
        into bytes: inout [UInt8]
    ) {
        let frame = withFrame ? LogFormat.recordOverhead : 0
        withUnsafeTemporaryAllocation(byteCount: LogFormat.recordOverhead + 38, alignment: 8) { buffer in
            buffer.storeBytes(of: UInt64(0), toByteOffset: 0, as: UInt64.self)
            buffer.storeBytes(of: UInt8(1), toByteOffset: frame, as: UInt8.self)
            buffer.storeBytes(of: id.high.littleEndian, toByteOffset: frame + 1, as: UInt64.self)
            buffer.storeBytes(of: id.low.littleEndian, toByteOffset: frame + 9, as: UInt64.self)
            buffer.storeBytes(of: sequence.littleEndian, toByteOffset: frame + 17, as: UInt64.self)
            buffer.storeBytes(of: priority.rawValue, toByteOffset: frame + 25, as: UInt8.self)
            buffer.storeBytes(of: attempts.littleEndian, toByteOffset: frame + 26, as: UInt32.self)
            let due = UInt64(bitPattern: notBefore ?? Int64.min)
            buffer.storeBytes(of: due.littleEndian, toByteOffset: frame + 30, as: UInt64.self)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<(frame + 38)]))
        }
    }

    /// Appends a framed append record to `bytes` whose body `writeBody` appends in place, so that
    /// a batch of records is built in one buffer without an array per body. The same bytes as
    /// `append(...).encode(into:)`; on a throw, `bytes` is left as it was.
    /// - Returns: the body's size in bytes.
    package static func appendFrame(
        id: EventID,
        sequence: UInt64,
        priority: Priority,
        attempts: UInt32,
        notBefore: Int64?,
        into bytes: inout [UInt8],
        body writeBody: (inout [UInt8]) throws -> Void
    ) rethrows -> Int {
        let frame = bytes.count
        putAppendFields(
            id: id,
            sequence: sequence,
            priority: priority,
            attempts: attempts,
            notBefore: notBefore,
            withFrame: true,
            into: &bytes
        )
        let bodyStart = bytes.count
        do {
            try writeBody(&bytes)
        } catch {
            bytes.removeSubrange(frame...)
            throw error
        }
        let length = UInt32(truncatingIfNeeded: bytes.count - frame - LogFormat.recordOverhead)
        bytes.withUnsafeMutableBytes { raw in
            let payload = UnsafeRawBufferPointer(rebasing: raw[(frame + LogFormat.recordOverhead)...])
            let checksum = CRC32C.checksum(payload)
            raw.storeBytes(of: length.littleEndian, toByteOffset: frame, as: UInt32.self)
            raw.storeBytes(of: checksum.littleEndian, toByteOffset: frame + 4, as: UInt32.self)
        }
        return bytes.count - bodyStart
    }

    /// Decodes a payload; nil when it is malformed.
    package static func decode(_ payload: ArraySlice<UInt8>) -> LogRecord? {
        var reader = ByteReader(payload)
        guard let kind = reader.byte(), let high = reader.uint64(), let low = reader.uint64() else { return nil }
        let id = EventID(high: high, low: low)
        func time(_ raw: UInt64) -> Int64? {
            let value = Int64(bitPattern: raw)
            return value == Int64.min ? nil : value
        }
        switch kind {
        case 1:
            guard let sequence = reader.uint64(), let lane = reader.byte(), let priority = Priority(rawValue: lane),
                let attempts = reader.uint32(), let notBefore = reader.uint64()
            else { return nil }
            return .append(
                id: id,
                sequence: sequence,
                priority: priority,
                attempts: attempts,
                notBefore: time(notBefore),
                body: Array(reader.rest)
            )
        case 2: return reader.isAtEnd ? .ack(id: id) : nil
        case 3:
            guard let attempt = reader.uint32(), reader.isAtEnd else { return nil }
            return .attempt(id: id, attempt: attempt)
        case 4:
            guard let notBefore = reader.uint64(), reader.isAtEnd else { return nil }
            return .reschedule(id: id, notBefore: time(notBefore))
        case 5:
            return .dead(id: id, reason: storedReason(String(decoding: reader.rest, as: UTF8.self)))
        case 6: return reader.isAtEnd ? .requeue(id: id) : nil
        case 7: return reader.isAtEnd ? .seen(id: id) : nil
        case 8: return reader.isAtEnd ? .release(id: id) : nil
        case 9:
            guard let at: Int64 = reader.integer() else { return nil }
            return .dead(id: id, reason: storedReason(String(decoding: reader.rest, as: UTF8.self)), at: at)
        default: return nil
        }
    }
}

/// What a scan of one segment found.
package struct SegmentScan: Sendable {
    /// Valid records with their offsets.
    package var records: [(offset: Int, record: LogRecord)] = []
    /// Byte ranges that failed their checksum or did not decode, followed by valid records.
    package var corrupt: [Range<Int>] = []
    /// Where the valid data ends; bytes after it are a torn tail.
    package var validEnd: Int = LogFormat.headerSize
    /// The file's size.
    package var size: Int = 0
    /// The header was missing or wrong (or of a version this build does not read).
    package var badHeader = false
    /// The format version its header states (0 when the header is bad).
    package var version: UInt32 = 0

    /// Zeros from the last valid record to the end of the file: space the writer reserved
    /// ahead and had not used yet, not damage.
    package var reservedBytes = 0

    /// Bytes after the last valid record that nothing valid follows, other than reserved zeros.
    package var tornBytes: Int { size - validEnd - reservedBytes }
}

extension LogFormat {
    /// Scans a segment's bytes. Never allocates more than `maxRecordSize` for a record and
    /// never trusts a length that fails its checksum: after a bad record it searches forward for
    /// the next record whose length, checksum and payload are all valid.
    package static func scan(_ bytes: [UInt8], maxRecordSize: Int) -> SegmentScan {
        var scan = SegmentScan()
        scan.size = bytes.count
        guard bytes.count >= headerSize else {
            scan.badHeader = true
            scan.validEnd = 0
            return scan
        }
        let stated = readUInt32(bytes, at: 8)
        if Array(bytes[0..<8]) != magic || !readableVersions.contains(stated) {
            // A damaged header: still look for valid records after it (each one is checked by
            // its own CRC), so that one bad sector does not cost the whole segment.
            scan.badHeader = true
        } else {
            scan.version = stated
        }
        var offset = headerSize
        var badStart: Int?
        // No record starts in a run of zeros at the end (a record begins with its nonzero
        // length): that run is reserved space, and is not searched byte by byte.
        let end = (bytes.lastIndex { $0 != 0 } ?? -1) + 1
        while offset < end {
            if let (record, next) = record(in: bytes, at: offset, maxRecordSize: maxRecordSize) {
                if let start = badStart {
                    scan.corrupt.append(start..<offset)
                    badStart = nil
                }
                scan.records.append((offset, record))
                offset = next
                scan.validEnd = next
            } else {
                if badStart == nil { badStart = offset }
                offset += 1
            }
        }
        if scan.validEnd >= end { scan.reservedBytes = bytes.count - scan.validEnd }
        return scan
    }

    /// The record at `offset` and the offset after it, if it is complete and valid.
    package static func record(in bytes: [UInt8], at offset: Int, maxRecordSize: Int) -> (LogRecord, Int)? {
        guard offset + recordOverhead <= bytes.count else { return nil }
        let length = Int(readUInt32(bytes, at: offset))
        guard length >= 17, length <= maxRecordSize, offset + recordOverhead + length <= bytes.count else {
            return nil
        }
        let payload = bytes[(offset + 8)..<(offset + 8 + length)]
        guard CRC32C.checksum(payload) == readUInt32(bytes, at: offset + 4),
            let record = LogRecord.decode(payload)
        else { return nil }
        return (record, offset + 8 + length)
    }

    static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * UInt32(index)) }
        return value
    }
}

extension Array where Element == UInt8 {
    /// Appends `value`'s bytes, least significant first. Inlinable: the encoders of other
    /// modules (the envelope's) call it per field, and unspecialised it cost them a generic call each.
    @inlinable
    package mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

/// Bounds-checked little-endian reads.
package struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    package init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    package var isAtEnd: Bool { position == bytes.endIndex }
    package var rest: ArraySlice<UInt8> { bytes[position...] }

    package mutating func byte() -> UInt8? {
        guard position < bytes.endIndex else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    package mutating func uint32() -> UInt32? { integer() }
    package mutating func uint64() -> UInt64? { integer() }

    package mutating func integer<T: FixedWidthInteger>() -> T? {
        let size = MemoryLayout<T>.size
        guard bytes.endIndex - position >= size else { return nil }
        var value: T = 0
        for index in 0..<size { value |= T(bytes[position + index]) << (8 * index) }
        position += size
        return value
    }

    package mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, bytes.endIndex - position >= count else { return nil }
        defer { position += count }
        return bytes[position..<(position + count)]
    }
}
