import Foundation

/// JSON for the default ``JSONEventCodec``, written straight into the record buffer.
///
/// `JSONEncoder` builds a tree of boxed values, checks every value against its special types
/// with dynamic casts, and serializes the tree into a `Data`: about a microsecond for a small
/// event, most of a batched durable publish. This writer streams instead: each container
/// appends to one byte array as it is filled, so a flat event costs one allocation.
///
/// It produces what `JSONEncoder()` with default settings would decode to the same value
/// (`Data` as Base64, `URL` as its absolute string, `Decimal` as a number, `Date` as its
/// `deferredToDate` number, `nil` keys left out by `encodeIfPresent`). Whatever it cannot
/// stream — a container used after a sibling was written, a super-encoder, a value that
/// encodes nothing at the top, a non-finite number, a 128-bit integer — makes it give up, and
/// the codec encodes that event with `JSONEncoder` instead, which either succeeds or throws
/// its usual error.
enum CompactJSON {
    /// Appends the JSON of `value` to `bytes`. Returns false, with `bytes` as it was, when the
    /// value must be encoded by `JSONEncoder` instead.
    static func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8]) -> Bool {
        var writer: JSONWriter?
        return encode(value, into: &bytes, reusing: &writer)
    }

    /// ``encode(_:into:)`` with the writer an earlier call left in `writer`, if any (a batch of
    /// events then costs no writer, no state and no container stack per event). The writer is
    /// left there for the next call unless the value's `encode(to:)` kept its encoder or a
    /// container (which could write into a later value otherwise).
    static func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8], reusing writer: inout JSONWriter?) -> Bool {
        let start = bytes.count
        let current = writer ?? JSONWriter()
        writer = nil
        current.begin(with: bytes)
        bytes = []  // the writer holds the only reference: appending does not copy
        var top = SlotEncoder(writer: current, depth: 0, parentID: nil, parent: nil, prefix: [], key: nil)
        let encoded: Bool
        do {
            encoded = try current.encodeTopLevel(value, in: top)
        } catch {
            encoded = false
        }
        bytes = current.takeBytes()
        if !encoded { bytes.removeSubrange(start...) }
        // Every encoder and container of the value holds the top-level encoder (through its
        // parents): held by nobody else, nothing of the value outlived it.
        if isKnownUniquelyReferenced(&top) { writer = current }
        return encoded
    }
}

/// Why streaming stopped; the codec falls back to `JSONEncoder`.
struct CompactJSONUnsupported: Error {}

/// The output and the containers still open, innermost last.
///
/// A container may be written while it is open; writing to it closes every container opened
/// after it (their values are complete). A container written after it was closed cannot be
/// streamed: that throws ``CompactJSONUnsupported``.
final class JSONWriter {
    struct Frame {
        let id: UInt32
        let isObject: Bool
        var count: Int
    }

    private struct Storage {
        var bytes: [UInt8]
        var frames: [Frame] = []
        var nextID: UInt32 = 0
        var unsupported = false
    }

    /// The state, out of line: every mutation of a class's stored property pays a run-time
    /// exclusivity check (`swift_beginAccess`, 9 % of encoding a small event); through a pointer
    /// it does not. A writer belongs to one `encode` call on one thread.
    private let storage: UnsafeMutablePointer<Storage>

    private var bytes: [UInt8] {
        _read { yield storage.pointee.bytes }
        _modify { yield &storage.pointee.bytes }
    }

    private var frames: [Frame] {
        _read { yield storage.pointee.frames }
        _modify { yield &storage.pointee.frames }
    }

    private var nextID: UInt32 {
        get { storage.pointee.nextID }
        set { storage.pointee.nextID = newValue }
    }

    /// Set where the `Encoder` API cannot throw (`container(keyedBy:)`, `superEncoder()`).
    var unsupported: Bool {
        get { storage.pointee.unsupported }
        set { storage.pointee.unsupported = newValue }
    }

    init() {
        storage = UnsafeMutablePointer<Storage>.allocate(capacity: 1)
        storage.initialize(to: Storage(bytes: []))
    }

    /// Starts a value, appending to `bytes`: no container open, nothing unsupported.
    func begin(with bytes: [UInt8]) {
        self.bytes = bytes
        if !frames.isEmpty { frames.removeAll(keepingCapacity: true) }
        nextID = 0
        unsupported = false
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    func takeBytes() -> [UInt8] {
        let taken = bytes
        bytes = []
        return taken
    }

    /// Writes `value` into `slot`, a top-level slot of this writer; false when it cannot stream.
    func encodeTopLevel<T: Encodable>(_ value: T, in slot: SlotEncoder) throws -> Bool {
        try encodeValue(value, in: slot)
        // Nothing written at the top is JSONEncoder's "did not encode any values" error.
        guard slot.hasValue, !unsupported else { return false }
        close(above: 0)
        return true
    }

    // MARK: Frames

    /// Opens an object or array at the slot's position.
    func open(isObject: Bool) -> UInt32 {
        nextID &+= 1
        frames.append(Frame(id: nextID, isObject: isObject, count: 0))
        bytes.append(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
        return nextID
    }

    /// Makes the container `id` at `depth` the innermost open one, closing those inside it;
    /// throws when it was closed already.
    func activate(_ id: UInt32, at depth: Int) throws {
        guard frames.indices.contains(depth), frames[depth].id == id else { throw CompactJSONUnsupported() }
        close(above: depth + 1)
    }

    /// Whether a slot whose parent container is `parentID` (nil: the top) at `depth` may still
    /// be written: nothing was written to the parent since the slot was made.
    func slotIsCurrent(depth: Int, parentID: UInt32?) -> Bool {
        guard frames.count == depth else { return false }
        guard let parentID else { return depth == 0 }
        return depth > 0 && frames[depth - 1].id == parentID
    }

    /// Closes open containers until `depth` remain.
    func close(above depth: Int) {
        while frames.count > depth {
            let frame = frames.removeLast()
            bytes.append(frame.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        }
    }

    /// Starts the next member of the innermost container (which must be an object).
    func beginMember(_ key: String) {
        let last = frames.count - 1
        if frames[last].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[last].count += 1
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Starts the next element of the innermost container (which must be an array); returns its index.
    func beginElement() -> Int {
        let last = frames.count - 1
        let index = frames[last].count
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[last].count += 1
        return index
    }

    func count(of id: UInt32, at depth: Int) -> Int {
        frames.indices.contains(depth) && frames[depth].id == id ? frames[depth].count : 0
    }

    // MARK: Values

    /// Writes any value into `slot`: the special types as `JSONEncoder` writes them, the common
    /// scalars directly, anything else through its own `encode(to:)`.
    func encodeValue<T: Encodable>(_ value: T, in slot: SlotEncoder) throws {
        if T.self == String.self {
            try slot.claim()
            writeString(unsafeBitCast(value, to: String.self))
        } else if T.self == Int.self {
            try slot.claim()
            writeInteger(unsafeBitCast(value, to: Int.self))
        } else if T.self == Bool.self {
            try slot.claim()
            writeBool(unsafeBitCast(value, to: Bool.self))
        } else if T.self == Double.self {
            try slot.claim()
            try writeFloat(unsafeBitCast(value, to: Double.self))
        } else if T.self == Data.self, let data = value as? Data {
            try slot.claim()
            writeString(data.base64EncodedString())
        } else if T.self == URL.self, let url = value as? URL {
            try slot.claim()
            writeString(url.absoluteString)
        } else if T.self == Decimal.self, let decimal = value as? Decimal {
            guard !decimal.isNaN else { throw CompactJSONUnsupported() }
            try slot.claim()
            writeASCII(decimal.description)
        } else {
            // Into the same slot: a single-value container passes its own encoder on.
            try value.encode(to: slot)
        }
    }

    func writeBool(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [
                UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e"),
            ])
        }
    }

    func writeNull() {
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    func writeInteger<I: FixedWidthInteger>(_ value: I) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        // Digits of the magnitude, least significant first, into a stack buffer.
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { digits in
            var count = 0
            while magnitude != 0 {
                let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
                digits[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remainder)
                count += 1
                magnitude = quotient
            }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(digits[index]) }
        }
    }

    func writeFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) throws {
        guard value.isFinite else { throw CompactJSONUnsupported() }  // JSONEncoder throws its own error
        writeASCII(value.description)
    }

    private func writeASCII(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// A JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [
                        UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)],
                        hex[Int(byte & 0xF)],
                    ])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
