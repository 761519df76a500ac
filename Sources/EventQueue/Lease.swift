import EventLog

/// One event handed to a consumer.
@usableFromInline
package struct Lease<Element: Sendable>: Sendable {
    /// The event.
    @usableFromInline package let element: Element
    /// Its identifier.
    @usableFromInline package let id: EventID
    /// Its lane.
    @usableFromInline package let priority: Priority
    /// 1 for the first delivery, 2 for the first retry, and so on.
    @usableFromInline package let attempt: Int
    /// The handle to acknowledge it with (0 when the queue does not track acknowledgements).
    @usableFromInline package let tag: UInt64
}
