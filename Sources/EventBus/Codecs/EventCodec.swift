import EventLog
import EventQueue
import Foundation

/// Turns events of one type into bytes and back: how durable mailboxes store event bodies.
///
/// Built in: ``JSONEventCodec`` (the default for `Codable` events), ``DataEventCodec`` for events
/// that are raw bytes, and ``TextEventCodec`` for UTF-8 text.
public protocol EventCodec<Value>: Sendable {
    /// The event type.
    associatedtype Value: Event
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
}

extension EventCodec {
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

    /// A sentence for people.
    public var description: String {
        switch self {
        case .unknownEventName(let found, let expected):
            "stored event \"\(found)\" is not the registered type \"\(expected)\""
        case .malformedEnvelope: "the stored envelope is malformed"
        case .undecodableBody(let name, let reason): "the body of \(name) does not decode: \(reason)"
        case .noCodec(let name): "\(name) is not Codable: give the durable mailbox a codec"
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
