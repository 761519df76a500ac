/// Turns queue elements into bytes and back for a ``FileLog``.
package protocol RecordCodec<Element>: Sendable {
    /// The element type.
    associatedtype Element: Sendable
    /// The bytes of an element.
    func encode(_ element: Element) throws -> [UInt8]
    /// Appends the bytes of an element to `bytes`: a ``FileLog`` frames a batch's records in one
    /// buffer, straight after each record's header. The default appends ``encode(_:)``'s
    /// bytes; implement it to skip that array. On a throw, what it appended is discarded.
    func encode(_ element: Element, into bytes: inout [UInt8]) throws
    /// An encoder for one batch, on one thread: ``FileLog`` asks for one per batch and calls it
    /// for each element, in order, like ``encode(_:into:)``. The default calls
    /// ``encode(_:into:)``; a codec with state worth keeping from one element to the next (a
    /// writer, buffers) keeps it in the closure, where no other thread touches it.
    func batchEncoder() -> (Element, inout [UInt8]) throws -> Void
    /// The element of some bytes; throws when they do not decode.
    func decode(_ bytes: [UInt8]) throws -> Element
    /// The element of the record `id`'s bytes (a codec that binds the id to the bytes, such as
    /// an authenticating one, checks it). The default calls ``decode(_:)``.
    func decode(_ bytes: [UInt8], id: EventID) throws -> Element
    /// The dead-letter reason a log stores for a record that `error`, thrown by
    /// ``decode(_:id:)``, kept from being read. The default: "undecodable record: …".
    func deadLetterReason(for error: any Error) -> String
}

extension RecordCodec {
    /// Appends ``encode(_:)``'s bytes.
    package func encode(_ element: Element, into bytes: inout [UInt8]) throws {
        bytes += try encode(element)
    }

    /// Calls ``decode(_:)``.
    package func decode(_ bytes: [UInt8], id: EventID) throws -> Element {
        try decode(bytes)
    }

    /// "undecodable record: " and the error.
    package func deadLetterReason(for error: any Error) -> String {
        "undecodable record: \(error)"
    }

    /// Calls ``encode(_:into:)``.
    package func batchEncoder() -> (Element, inout [UInt8]) throws -> Void {
        { element, bytes in try encode(element, into: &bytes) }
    }
}
