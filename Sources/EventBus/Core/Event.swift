import EventLog
import EventQueue

/// A value that can be published on a ``Bus``.
///
/// Events are plain `Sendable` values. ``eventName`` identifies the type in logs, metrics and
/// durable mailboxes; it defaults to the fully qualified type name, so override it to keep
/// stored records readable across renames:
///
/// ```swift
/// struct OrderPlaced: Event, Codable {
///     static let eventName = "orders.placed.v1"
///     let id: Int
/// }
/// ```
public protocol Event: Sendable {
    /// A stable name for the event type.
    static var eventName: String { get }
    /// The version of the type's stored shape, stored with every durable record (default 1).
    /// Raise it when the shape changes in a way old records do not decode into; a build reads
    /// records of its version and older ones, and never decodes a newer one. See
    /// Documentation/DurableMailboxes.md, "Versions".
    static var schemaVersion: Int { get }
    /// How ``JSONEventCodec`` brings the stored JSON of older versions up to ``schemaVersion``:
    /// one ``JSONUpcaster`` per version that changed shape (default: none).
    static var upcasters: [JSONUpcaster] { get }
}

extension Event {
    /// The fully qualified type name, e.g. `MyApp.OrderPlaced`.
    public static var eventName: String { String(reflecting: Self.self) }

    /// 1.
    public static var schemaVersion: Int { 1 }

    /// None.
    public static var upcasters: [JSONUpcaster] { [] }
}
