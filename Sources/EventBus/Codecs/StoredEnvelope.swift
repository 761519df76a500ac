import EventLog
import Foundation

/// A stored envelope read without decoding its event: the name, schema version and codec id,
/// the metadata, and where the body starts. Both layouts read: format 2 (what this build writes)
/// and format 1 (written before versions were stored: version 1, no codec id).
///
/// Format 2 (little-endian): `0xFF 0xFF`, format `UInt8` (2), name (`UInt16` length + UTF-8),
/// schema version `UInt32`, codec id (`UInt8` length + UTF-8), correlation id and ordering key
/// (each `UInt16` length + UTF-8, `0xFFFF` for none), publish time (`Int64` ns since the epoch),
/// header count (`UInt16`) and each header's name and value, then the body. Format 1 is the same
/// without the first three bytes, the version and the codec id; a format-1 name is at most 65,534
/// bytes long, so no format-1 envelope starts with `0xFF 0xFF`.
package struct StoredEnvelope: Sendable {
    /// The format the record was written in (1 or 2).
    package var format: UInt8
    /// The event name it was stored under.
    package var eventName: String
    /// The event type's schema version when it was stored (1 for format 1).
    package var schemaVersion: Int
    /// The id of the codec that wrote the body (nil for format 1: the mailbox's codec, JSON by default).
    package var codecID: String?
    /// The correlation id.
    package var correlationID: String?
    /// The ordering key.
    package var orderingKey: String?
    /// When it was published, as stored (ns since the epoch).
    package var publishedAtNanoseconds: Int64
    /// The headers.
    package var headers: [String: String]
    /// Where the body starts in the stored bytes.
    package var bodyOffset: Int

    /// The marker of a format-2 envelope.
    package static let formatMarker: [UInt8] = [0xFF, 0xFF, 2]
    /// The format this build writes.
    package static let currentFormat: UInt8 = 2

    /// The publish time.
    package var publishedAt: Date { Date(timeIntervalSince1970: Double(publishedAtNanoseconds) / 1e9) }

    /// Reads the envelope at the start of `bytes`.
    /// - Throws: ``CodecError/malformedEnvelope`` when it is not one.
    package init(parsing bytes: [UInt8]) throws(CodecError) {
        var reader = ByteReader(bytes[...])
        if bytes.starts(with: Self.formatMarker) {
            _ = reader.take(Self.formatMarker.count)
            format = 2
        } else {
            format = 1
        }
        guard let name = try Self.string(&reader) else { throw .malformedEnvelope }
        eventName = name
        if format == 2 {
            guard let version: UInt32 = reader.integer(), let length = reader.byte(),
                let raw = reader.take(Int(length)), let id = String(validating: raw, as: UTF8.self)
            else { throw .malformedEnvelope }
            schemaVersion = Int(version)
            codecID = id
        } else {
            schemaVersion = 1
            codecID = nil
        }
        correlationID = try Self.string(&reader)
        orderingKey = try Self.string(&reader)
        guard let nanos: Int64 = reader.integer(), let count: UInt16 = reader.integer() else {
            throw .malformedEnvelope
        }
        publishedAtNanoseconds = nanos
        var headers: [String: String] = [:]
        for _ in 0..<count {
            guard let key = try Self.string(&reader), let value = try Self.string(&reader) else {
                throw .malformedEnvelope
            }
            headers[key] = value
        }
        self.headers = headers
        bodyOffset = reader.rest.startIndex
    }

    /// What a codec is told about this record (its id comes from the store).
    package func info(id: EventID) -> StoredEventInfo {
        StoredEventInfo(
            id: id,
            eventName: eventName,
            schemaVersion: schemaVersion,
            codecID: codecID,
            headers: headers,
            correlationID: correlationID,
            orderingKey: orderingKey
        )
    }

    /// A `UInt16`-length string; nil for the length `0xFFFF`.
    static func string(_ reader: inout ByteReader) throws(CodecError) -> String? {
        guard let length: UInt16 = reader.integer() else { throw .malformedEnvelope }
        if length == UInt16.max { return nil }
        guard let bytes = reader.take(Int(length)), let text = String(validating: bytes, as: UTF8.self) else {
            throw .malformedEnvelope
        }
        return text
    }

    /// Appends a `UInt16`-length string (`0xFFFF` for nil), cut to 65,534 bytes.
    static func put(_ text: String?, into bytes: inout [UInt8]) {
        guard let text else {
            bytes.appendLittleEndian(UInt16.max)
            return
        }
        let utf8 = text.utf8.prefix(Int(UInt16.max) - 1)
        bytes.appendLittleEndian(UInt16(utf8.count))
        bytes += utf8
    }

    /// The stored start of a format-2 envelope: marker, name, version and codec id (cut to 255
    /// bytes).
    static func prefix(eventName: String, schemaVersion: Int, codecID: String) -> [UInt8] {
        var bytes = formatMarker
        put(eventName, into: &bytes)
        bytes.appendLittleEndian(UInt32(clamping: schemaVersion))
        let id = codecID.utf8.prefix(255)
        bytes.append(UInt8(id.count))
        bytes += id
        return bytes
    }
}
