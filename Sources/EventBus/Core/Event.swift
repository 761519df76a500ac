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
}

extension Event {
    /// The fully qualified type name, e.g. `MyApp.OrderPlaced`.
    public static var eventName: String { String(reflecting: Self.self) }
}
