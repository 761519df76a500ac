import EventLog
import EventQueue
import Foundation

/// Stores an ``Envelope`` in a durable mailbox: the event's name and metadata, then the body
/// from the event codec. Decoding refuses a record whose name is not the mailbox's event type.
///
/// Layout (little-endian): name, correlation id, ordering key (each `UInt16` length + UTF-8;
/// `0xFFFF` for none), publish time (`Int64` ns since the epoch), header count (`UInt16`) and
/// each header's name and value, then the body.
struct EnvelopeCodec<E: Event>: RecordCodec {
    let codec: any EventCodec<E>
    /// The event name as stored (length and UTF-8), computed once: a default `eventName` is
    /// derived from the type by reflection, which costs more than the rest of the envelope.
    private let storedName: [UInt8]

    init(codec: any EventCodec<E>) {
        self.codec = codec
        var name: [UInt8] = []
        Self.put(E.eventName, into: &name)
        self.storedName = name
    }

    func encode(_ envelope: Envelope<E>) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(storedName.count + 64)
        try encode(envelope, into: &bytes)
        return bytes
    }

    /// Appends the envelope straight into the log's buffer (see ``RecordCodec/encode(_:into:)``).
    func encode(_ envelope: Envelope<E>, into bytes: inout [UInt8]) throws {
        putMetadata(envelope.metadata, into: &bytes)
        try codec.encode(envelope.event, into: &bytes)
    }

    /// Envelopes with the event codec's batch encoder for their bodies.
    func batchEncoder() -> (Envelope<E>, inout [UInt8]) throws -> Void {
        let body = codec.batchEncoder()
        return { envelope, bytes in
            putMetadata(envelope.metadata, into: &bytes)
            try body(envelope.event, &bytes)
        }
    }

    /// The name and the metadata, before the body.
    private func putMetadata(_ metadata: borrowing EventMetadata, into bytes: inout [UInt8]) {
        bytes += storedName
        let publishedAt = Int64(metadata.publishedAt.timeIntervalSince1970 * 1e9)
        if metadata.correlationID == nil && metadata.orderingKey == nil && metadata.headers.isEmpty {
            // The common envelope: no correlation id, ordering key or headers. Its fixed part
            // is written on the stack and appended at once, not field by field.
            withUnsafeTemporaryAllocation(byteCount: 14, alignment: 8) { fixed in
                fixed.storeBytes(of: UInt16.max.littleEndian, toByteOffset: 0, as: UInt16.self)
                fixed.storeBytes(of: UInt16.max.littleEndian, toByteOffset: 2, as: UInt16.self)
                fixed.storeBytes(of: publishedAt.littleEndian, toByteOffset: 4, as: Int64.self)
                fixed.storeBytes(of: UInt16(0), toByteOffset: 12, as: UInt16.self)
                bytes.append(contentsOf: UnsafeRawBufferPointer(fixed))
            }
            return
        }
        Self.put(metadata.correlationID, into: &bytes)
        Self.put(metadata.orderingKey, into: &bytes)
        bytes.appendLittleEndian(publishedAt)
        bytes.appendLittleEndian(UInt16(clamping: metadata.headers.count))
        if !metadata.headers.isEmpty {
            for (name, value) in metadata.headers.sorted(by: { $0.key < $1.key }).prefix(Int(UInt16.max)) {
                Self.put(name, into: &bytes)
                Self.put(value, into: &bytes)
            }
        }
    }

    func decode(_ bytes: [UInt8]) throws -> Envelope<E> {
        var reader = ByteReader(bytes[...])
        if !bytes.starts(with: storedName) {
            guard let name = try string(&reader) else { throw CodecError.malformedEnvelope }
            throw CodecError.unknownEventName(found: name, expected: E.eventName)
        }
        _ = reader.take(storedName.count)
        let correlationID = try string(&reader)
        let orderingKey = try string(&reader)
        guard let nanos: Int64 = reader.integer(), let count: UInt16 = reader.integer() else {
            throw CodecError.malformedEnvelope
        }
        var headers: [String: String] = [:]
        for _ in 0..<count {
            guard let key = try string(&reader), let value = try string(&reader) else {
                throw CodecError.malformedEnvelope
            }
            headers[key] = value
        }
        let event = try codec.decode(Array(reader.rest))
        // The id, lane and attempt come from the log record; the queue fills them in.
        let metadata = EventMetadata(
            id: EventID(high: 0, low: 0),
            publishedAt: Date(timeIntervalSince1970: Double(nanos) / 1e9),
            headers: headers,
            correlationID: correlationID,
            orderingKey: orderingKey
        )
        return Envelope(event: event, metadata: metadata)
    }

    private static func put(_ text: String?, into bytes: inout [UInt8]) {
        guard let text else {
            bytes.appendLittleEndian(UInt16.max)
            return
        }
        let utf8 = text.utf8.prefix(Int(UInt16.max) - 1)
        bytes.appendLittleEndian(UInt16(utf8.count))
        bytes += utf8
    }

    private func string(_ reader: inout ByteReader) throws -> String? {
        guard let length: UInt16 = reader.integer() else { throw CodecError.malformedEnvelope }
        if length == UInt16.max { return nil }
        guard let bytes = reader.take(Int(length)), let text = String(validating: bytes, as: UTF8.self) else {
            throw CodecError.malformedEnvelope
        }
        return text
    }
}

/// The event name and body of a stored envelope, without decoding the event (for tools).
package func peekEnvelope(_ bytes: [UInt8]) -> (name: String, correlationID: String?, body: [UInt8])? {
    var reader = ByteReader(bytes[...])
    func string() -> String?? {
        guard let length: UInt16 = reader.integer() else { return nil }
        if length == UInt16.max { return .some(nil) }
        guard let raw = reader.take(Int(length)), let text = String(validating: raw, as: UTF8.self) else {
            return nil
        }
        return .some(text)
    }
    guard let name = string() ?? nil, let correlation = string(), string() != nil,
        let _: Int64 = reader.integer(), let count: UInt16 = reader.integer()
    else { return nil }
    for _ in 0..<count {
        guard string() != nil, string() != nil else { return nil }
    }
    return (name, correlation, Array(reader.rest))
}
