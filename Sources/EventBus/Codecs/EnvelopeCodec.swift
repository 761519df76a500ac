import EventLog
import EventQueue
import Foundation

/// Stores an ``Envelope`` in a durable mailbox: the event's name, schema version and codec id,
/// its metadata, then the body from the event codec (layout: ``StoredEnvelope``). Decoding
/// refuses a record whose name is not the mailbox's event type, and one of a newer schema
/// version than the type's; an older one goes to the codec with its version.
struct EnvelopeCodec<E: Event>: RecordCodec {
    let codec: any EventCodec<E>
    /// The envelope's start as stored — marker, name, version, codec id — computed once: a
    /// default `eventName` is derived from the type by reflection, which costs more than the
    /// rest of the envelope.
    private let storedPrefix: [UInt8]
    /// `E.eventName`, `E.schemaVersion` and the codec's id, read once.
    private let eventName: String
    private let schemaVersion: Int
    private let codecID: String
    /// The codec binds each record's information to its body (``EventCodec/needsRecordInfo``).
    private let needsInfo: Bool

    init(codec: any EventCodec<E>) {
        self.codec = codec
        self.eventName = E.eventName
        self.schemaVersion = E.schemaVersion
        self.codecID = codec.codecID
        self.needsInfo = codec.needsRecordInfo
        self.storedPrefix = StoredEnvelope.prefix(
            eventName: eventName,
            schemaVersion: schemaVersion,
            codecID: codecID
        )
    }

    func encode(_ envelope: Envelope<E>) throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(storedPrefix.count + 64)
        try encode(envelope, into: &bytes)
        return bytes
    }

    /// Appends the envelope straight into the log's buffer (see ``RecordCodec/encode(_:into:)``).
    func encode(_ envelope: Envelope<E>, into bytes: inout [UInt8]) throws {
        putMetadata(envelope.metadata, into: &bytes)
        if needsInfo {
            try codec.recordEncoder()(envelope.event, info(envelope.metadata), &bytes)
        } else {
            try codec.encode(envelope.event, into: &bytes)
        }
    }

    /// Envelopes with the event codec's batch encoder for their bodies.
    func batchEncoder() -> (Envelope<E>, inout [UInt8]) throws -> Void {
        if needsInfo {
            let body = codec.recordEncoder()
            return { envelope, bytes in
                putMetadata(envelope.metadata, into: &bytes)
                try body(envelope.event, info(envelope.metadata), &bytes)
            }
        }
        let body = codec.batchEncoder()
        return { envelope, bytes in
            putMetadata(envelope.metadata, into: &bytes)
            try body(envelope.event, &bytes)
        }
    }

    /// What the codec is told about a record it encodes.
    private func info(_ metadata: EventMetadata) -> StoredEventInfo {
        StoredEventInfo(
            id: metadata.id,
            eventName: eventName,
            schemaVersion: schemaVersion,
            codecID: codecID,
            headers: metadata.headers,
            correlationID: metadata.correlationID,
            orderingKey: metadata.orderingKey
        )
    }

    /// The name, version, codec id and the metadata, before the body.
    private func putMetadata(_ metadata: borrowing EventMetadata, into bytes: inout [UInt8]) {
        bytes += storedPrefix
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
        StoredEnvelope.put(metadata.correlationID, into: &bytes)
        StoredEnvelope.put(metadata.orderingKey, into: &bytes)
        bytes.appendLittleEndian(publishedAt)
        bytes.appendLittleEndian(UInt16(clamping: metadata.headers.count))
        if !metadata.headers.isEmpty {
            for (name, value) in metadata.headers.sorted(by: { $0.key < $1.key }).prefix(Int(UInt16.max)) {
                StoredEnvelope.put(name, into: &bytes)
                StoredEnvelope.put(value, into: &bytes)
            }
        }
    }

    func decode(_ bytes: [UInt8]) throws -> Envelope<E> {
        try decode(bytes, id: EventID(high: 0, low: 0))
    }

    /// The envelope of record `id`: refused when it names another event type or a newer schema
    /// version; otherwise its body goes to the codec with what the record keeps beside it.
    func decode(_ bytes: [UInt8], id: EventID) throws -> Envelope<E> {
        let stored = try StoredEnvelope(parsing: bytes)
        guard stored.eventName == eventName else {
            throw CodecError.unknownEventName(found: stored.eventName, expected: eventName)
        }
        guard stored.schemaVersion <= schemaVersion else {
            throw CodecError.unknownVersion(eventName: eventName, stored: stored.schemaVersion, known: schemaVersion)
        }
        let event = try codec.decode(Array(bytes[stored.bodyOffset...]), info: stored.info(id: id))
        // The id, lane and attempt come from the log record; the queue fills them in (a
        // delivery whose id is not its lease's takes the lease's id and lane).
        let metadata = EventMetadata(
            id: EventID(high: 0, low: 0),
            publishedAt: stored.publishedAt,
            headers: stored.headers,
            correlationID: stored.correlationID,
            orderingKey: stored.orderingKey
        )
        return Envelope(event: event, metadata: metadata)
    }

    /// The reason a log stores for a record this codec could not read: the
    /// ``DeadLetterReason`` of the error, in its stored form.
    func deadLetterReason(for error: any Error) -> String {
        DeadLetterReason(decodingError: error).storedText
    }
}

/// The event name, correlation id and body of a stored envelope, without decoding the event
/// (for tools).
package func peekEnvelope(_ bytes: [UInt8]) -> (name: String, correlationID: String?, body: [UInt8])? {
    guard let stored = try? StoredEnvelope(parsing: bytes) else { return nil }
    return (stored.eventName, stored.correlationID, Array(bytes[stored.bodyOffset...]))
}
