import EventLog
import EventQueue
import Foundation

/// Turns events of one type into bytes and back: how durable mailboxes store event bodies.
///
/// Built in: ``JSONEventCodec`` (the default for `Codable` events), ``DataEventCodec`` for events
/// that are raw bytes, and ``TextEventCodec`` for UTF-8 text.
///
/// Every stored record carries the event's name, its ``Event/schemaVersion`` and the codec's
/// ``codecID`` in clear beside the body (``StoredEventInfo``). A record of a newer version than
/// the type's is never given to the codec; one of an older version is, with its version in
/// ``decode(_:info:)``.
public protocol EventCodec<Value>: Sendable {
    /// The event type.
    associatedtype Value: Event
    /// Names the format of the bodies it writes, stored with each record: "json", "data",
    /// "text", or an encrypting codec's id. A record written by another codec is not decoded
    /// (``CodecError/codecMismatch(eventName:stored:expected:)``). The default is "custom".
    var codecID: String { get }
    /// The body bytes of an event.
    func encode(_ event: Value) throws -> [UInt8]
    /// Appends the body bytes of an event to `bytes` (a durable mailbox encodes the body straight
    /// after the envelope). The default calls ``encode(_:)``; implement it to skip that copy.
    func encode(_ event: Value, into bytes: inout [UInt8]) throws
    /// An encoder for one batch of events, on one thread: a durable mailbox asks for one per
    /// batch it stores and calls it for each event, in order, like ``encode(_:into:)``. The
    /// default calls ``encode(_:into:)``; a codec with state worth keeping from one event to the
    /// next (a writer, buffers) keeps it in the closure, where no other thread touches it.
    func batchEncoder() -> (Value, inout [UInt8]) throws -> Void
    /// The event of some body bytes.
    /// - Throws: ``CodecError`` (or the underlying decoder's error) when the bytes do not decode.
    func decode(_ bytes: [UInt8]) throws -> Value
    /// The event of a stored body, told what the record keeps beside it: the schema version it
    /// was written with (never newer than `Value`'s), the codec that wrote it, the id and
    /// metadata. The default refuses a body of another codec, then calls ``decode(_:)``;
    /// ``JSONEventCodec`` brings an older version's JSON up to date first.
    /// - Throws: ``CodecError``, or the underlying decoder's error.
    func decode(_ bytes: [UInt8], info: StoredEventInfo) throws -> Value
    /// Whether encoding needs each record's ``StoredEventInfo`` (an authenticating codec binds
    /// it to the body): then a durable mailbox encodes through ``recordEncoder()``, otherwise
    /// through ``encode(_:into:)`` and ``batchEncoder()``. The default is false.
    var needsRecordInfo: Bool { get }
    /// An encoder for one batch of events, like ``batchEncoder()``, that is also given each
    /// record's ``StoredEventInfo``. Used when ``needsRecordInfo`` is true; the default calls
    /// ``batchEncoder()``'s encoder.
    func recordEncoder() -> (Value, StoredEventInfo, inout [UInt8]) throws -> Void
}

extension EventCodec {
    /// "custom".
    public var codecID: String { "custom" }

    /// False: the body does not depend on the record's information.
    public var needsRecordInfo: Bool { false }

    /// ``batchEncoder()``'s encoder, without the information.
    public func recordEncoder() -> (Value, StoredEventInfo, inout [UInt8]) throws -> Void {
        let encode = batchEncoder()
        return { event, _, bytes in try encode(event, &bytes) }
    }

    /// Refuses a body another codec wrote (a record from before codec ids were stored is read),
    /// then calls ``decode(_:)``.
    public func decode(_ bytes: [UInt8], info: StoredEventInfo) throws -> Value {
        try checkCodec(of: info)
        return try decode(bytes)
    }

    /// Throws ``CodecError/codecMismatch(eventName:stored:expected:)`` when the record names a
    /// codec other than this one (nil, a record from before codec ids were stored, passes).
    public func checkCodec(of info: StoredEventInfo) throws(CodecError) {
        if let stored = info.codecID, stored != codecID {
            throw .codecMismatch(eventName: info.eventName, stored: stored, expected: codecID)
        }
    }

    /// Appends ``encode(_:)``'s bytes.
    public func encode(_ event: Value, into bytes: inout [UInt8]) throws {
        bytes += try encode(event)
    }

    /// Calls ``encode(_:into:)``.
    public func batchEncoder() -> (Value, inout [UInt8]) throws -> Void {
        { event, bytes in try encode(event, into: &bytes) }
    }
}

/// Why an event or envelope could not be encoded or decoded.
public enum CodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The stored record names another event type than the mailbox carries; it is never decoded.
    case unknownEventName(found: String, expected: String)
    /// The envelope around the body is malformed.
    case malformedEnvelope
    /// The body did not decode.
    case undecodableBody(eventName: String, reason: String)
    /// The event type cannot be stored: it is not `Codable` and no codec was given.
    case noCodec(eventName: String)
    /// The record was stored by a newer build, with a schema version this build's type does not
    /// know: it is never decoded with the wrong shape.
    case unknownVersion(eventName: String, stored: Int, known: Int)
    /// The body was written by another codec than the mailbox's.
    case codecMismatch(eventName: String, stored: String, expected: String)
    /// An encrypted body that cannot be opened: its key is not in the key ring (rotated out, or
    /// deleted on purpose), or the body, its tag, its key id or the record's information was
    /// changed (authentication failed). `keyID` is the key the record names, when it names one.
    case undecryptable(keyID: String?, reason: String)

    /// A sentence for people.
    public var description: String {
        switch self {
        case .unknownEventName(let found, let expected):
            "stored event \"\(found)\" is not the registered type \"\(expected)\""
        case .malformedEnvelope: "the stored envelope is malformed"
        case .undecodableBody(let name, let reason): "the body of \(name) does not decode: \(reason)"
        case .noCodec(let name): "\(name) is not Codable: give the durable mailbox a codec"
        case .unknownVersion(let name, let stored, let known):
            "\(name) was stored with schema version \(stored); this build knows versions up to \(known)"
        case .codecMismatch(let name, let stored, let expected):
            "the body of \(name) was written by codec \"\(stored)\", not this mailbox's \"\(expected)\""
        case .undecryptable(let keyID, let reason):
            "the body cannot be decrypted" + (keyID.map { " (key \"\($0)\")" } ?? "") + ": \(reason)"
        }
    }
}

/// Codable events as JSON: readable on disk, the default.
///
/// With default settings (``init()``) events are written by a streaming JSON writer, 2–3 times
/// faster than `JSONEncoder`, that produces what `JSONEncoder()` would decode to the same
/// value; the rare event it cannot stream (a super-encoder, a container written out of order)
/// is encoded by `JSONEncoder`. Decoding always uses `JSONDecoder`. With configured coders
/// (``init(encoder:decoder:)``) both directions use them. One encoder and one decoder serve
/// every event (both are thread-safe), so a durable mailbox does not build a new one per publish.
public struct JSONEventCodec<Value: Event & Codable>: EventCodec {
    private let encoder: JSONEncoder
    private let decoder: JSONDecoder
    /// Whether the streaming writer may encode (only with default settings).
    private let streams: Bool

    /// "json".
    public var codecID: String { "json" }

    /// Creates the codec with default JSON settings.
    public init() {
        self.encoder = JSONEncoder()
        self.decoder = JSONDecoder()
        self.streams = true
    }

    /// Creates the codec with configured coders (date and key strategies, output formatting).
    /// Do not change their settings afterwards: the codec shares them between threads.
    public init(encoder: JSONEncoder, decoder: JSONDecoder) {
        self.encoder = encoder
        self.decoder = decoder
        self.streams = false
    }

    /// JSON bytes.
    public func encode(_ event: Value) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try encode(event, into: &bytes)
        return bytes
    }

    /// Appends the JSON bytes.
    public func encode(_ event: Value, into bytes: inout [UInt8]) throws {
        if streams, CompactJSON.encode(event, into: &bytes) { return }
        bytes += try encoder.encode(event)
    }

    /// Appends each event's JSON bytes with one streaming writer for the whole batch (a new one
    /// only after an event whose `encode(to:)` kept its encoder).
    public func batchEncoder() -> (Value, inout [UInt8]) throws -> Void {
        var writer: JSONWriter?
        return { event, bytes in
            if streams, CompactJSON.encode(event, into: &bytes, reusing: &writer) { return }
            bytes += try encoder.encode(event)
        }
    }

    /// Decodes a stored body: one of an older ``Event/schemaVersion`` first goes through the
    /// type's ``Event/upcasters``, from its version to the current one.
    public func decode(_ bytes: [UInt8], info: StoredEventInfo) throws -> Value {
        try checkCodec(of: info)
        guard info.schemaVersion < Value.schemaVersion else { return try decode(bytes) }
        return try decode(
            JSONUpcaster.upcast(
                bytes,
                from: info.schemaVersion,
                to: Value.schemaVersion,
                with: Value.upcasters,
                eventName: Value.eventName
            )
        )
    }

    /// Decodes JSON.
    public func decode(_ bytes: [UInt8]) throws -> Value {
        do {
            return try decoder.decode(Value.self, from: Data(bytes))
        } catch {
            throw CodecError.undecodableBody(eventName: Value.eventName, reason: String(describing: error))
        }
    }
}

/// An event that is a blob of bytes (an image, a protobuf, a file chunk).
public protocol DataEvent: Event {
    /// The bytes.
    var data: Data { get }
    /// Wraps bytes.
    init(data: Data)
}

/// Stores a ``DataEvent``'s bytes as they are, without JSON.
public struct DataEventCodec<Value: DataEvent>: EventCodec {
    /// Creates the codec.
    public init() {}

    /// "data".
    public var codecID: String { "data" }

    /// The bytes themselves.
    public func encode(_ event: Value) throws -> [UInt8] { Array(event.data) }

    /// The event around the bytes.
    public func decode(_ bytes: [UInt8]) throws -> Value { Value(data: Data(bytes)) }
}

/// An event that is a line of text.
public protocol TextEvent: Event {
    /// The text.
    var text: String { get }
    /// Wraps text.
    init(text: String)
}

/// Stores a ``TextEvent`` as UTF-8; invalid UTF-8 is refused on decode.
public struct TextEventCodec<Value: TextEvent>: EventCodec {
    /// Creates the codec.
    public init() {}

    /// "text".
    public var codecID: String { "text" }

    /// UTF-8 bytes.
    public func encode(_ event: Value) throws -> [UInt8] { Array(event.text.utf8) }

    /// Validated UTF-8.
    public func decode(_ bytes: [UInt8]) throws -> Value {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CodecError.undecodableBody(eventName: Value.eventName, reason: "invalid UTF-8")
        }
        return Value(text: text)
    }
}

/// A ``JSONEventCodec`` for an event type known to be `Codable` only at run time (the default
/// codec of a durable mailbox), or nil when `E` is not `Codable`. The type is opened once here,
/// so encoding an event does not cast it.
func openedJSONCodec<E: Event>(for type: E.Type) -> (any EventCodec<E>)? {
    guard let codable = type as? any (Event & Codable).Type else { return nil }
    func open<C: Event & Codable>(_: C.Type) -> (any EventCodec<E>)? {
        JSONEventCodec<C>() as? any EventCodec<E>
    }
    return open(codable)
}
