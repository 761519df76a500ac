/// Brings the stored JSON of one schema version of an event type to the next version.
///
/// Registered on the type (``Event/upcasters``), one per version that changed shape, and chained
/// by ``JSONEventCodec``: a record of version 1 of a type at version 3 goes through the upcaster
/// from 1, then the one from 2, then decodes. An upcaster works on the encoded form — a JSON
/// object in, the same object changed — so the old Swift type need not exist any more:
///
/// ```swift
/// struct OrderPlaced: Event, Codable {
///     static let schemaVersion = 3
///     static let upcasters = [
///         // 1 → 2: "customer" was renamed "customerID".
///         JSONUpcaster(from: 1) { order in order.rename("customer", to: "customerID") },
///         // 2 → 3: "currency" was added, "EUR" for everything before.
///         JSONUpcaster(from: 2) { order in order["currency"] = order["currency"] ?? "EUR" },
///     ]
///     let id: Int
///     let customerID: String
///     let currency: String
/// }
/// ```
///
/// A version with no upcaster from it reads as the next version unchanged (its change did not
/// touch the JSON). A thrown error makes the record a dead letter (undecodable, with the error).
public struct JSONUpcaster: Sendable {
    /// The version it reads; it writes `fromVersion + 1`.
    public let fromVersion: Int
    /// The change, on the stored object's members.
    let transform: @Sendable (inout [String: JSONValue]) throws -> Void

    /// An upcaster from `version` to `version + 1`: `transform` changes the stored object's
    /// members in place.
    public init(from version: Int, _ transform: @escaping @Sendable (inout [String: JSONValue]) throws -> Void) {
        self.fromVersion = version
        self.transform = transform
    }

    /// Brings the JSON object `bytes`, stored with version `stored`, up to version `current`
    /// through `upcasters`, in order.
    /// - Throws: ``CodecError/undecodableBody(eventName:reason:)`` when the body is not a JSON
    ///   object, two upcasters read the same version, or an upcaster throws.
    static func upcast(
        _ bytes: [UInt8],
        from stored: Int,
        to current: Int,
        with upcasters: [JSONUpcaster],
        eventName: String
    ) throws(CodecError) -> [UInt8] {
        guard case .object(var members) = try JSONValue(parsing: bytes, eventName: eventName) else {
            throw .undecodableBody(eventName: eventName, reason: "version \(stored) is not a JSON object")
        }
        for version in stored..<current {
            let steps = upcasters.filter { $0.fromVersion == version }
            guard steps.count <= 1 else {
                throw .undecodableBody(eventName: eventName, reason: "\(steps.count) upcasters from version \(version)")
            }
            guard let step = steps.first else { continue }
            do {
                try step.transform(&members)
            } catch {
                throw .undecodableBody(
                    eventName: eventName,
                    reason: "the upcaster from version \(version) threw: \(error)"
                )
            }
        }
        return JSONValue.object(members).jsonBytes
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// Renames the member `old` to `new` (a rename of a field in an upcaster); nothing when
    /// there is no `old`. A member already named `new` is replaced.
    public mutating func rename(_ old: String, to new: String) {
        guard let value = removeValue(forKey: old) else { return }
        self[new] = value
    }
}
