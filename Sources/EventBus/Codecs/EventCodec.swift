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
    /// The event of some body bytes.
    /// - Throws: ``CodecError`` (or the underlying decoder's error) when the bytes do not decode.
    func decode(_ bytes: [UInt8]) throws -> Value
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
public struct JSONEventCodec<Value: Event & Codable>: EventCodec {
    /// Creates the codec.
    public init() {}

    /// JSON bytes.
    public func encode(_ event: Value) throws -> [UInt8] {
        Array(try JSONEncoder().encode(event))
    }

    /// Decodes JSON.
    public func decode(_ bytes: [UInt8]) throws -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: Data(bytes))
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

/// JSON for an event type known to be `Codable` only at run time.
struct OpenedJSONCodec<Value: Event>: EventCodec {
    func encode(_ event: Value) throws -> [UInt8] {
        guard let encodable = event as? any Encodable else { throw CodecError.noCodec(eventName: Value.eventName) }
        return Array(try JSONEncoder().encode(encodable))
    }

    func decode(_ bytes: [UInt8]) throws -> Value {
        guard let decodable = Value.self as? any Decodable.Type else {
            throw CodecError.noCodec(eventName: Value.eventName)
        }
        do {
            guard let value = try JSONDecoder().decode(decodable, from: Data(bytes)) as? Value else {
                throw CodecError.malformedEnvelope
            }
            return value
        } catch let error as CodecError {
            throw error
        } catch {
            throw CodecError.undecodableBody(eventName: Value.eventName, reason: String(describing: error))
        }
    }

    static var isAvailable: Bool { Value.self is any Codable.Type }
}
