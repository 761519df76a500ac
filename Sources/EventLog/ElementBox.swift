/// An element as the queue core holds it: one reference, whatever the element's type. A queue
/// boxes each element once (``ElementBox``) and unboxes it when handing it out.
@usableFromInline
package typealias BoxedElement = AnyObject & Sendable

/// The box around one queued element.
// Immutable: `value` is a `let` of a Sendable type.
@usableFromInline
package final class ElementBox<Value: Sendable>: Sendable {
    @usableFromInline
    package let value: Value

    @inlinable
    package init(_ value: Value) {
        self.value = value
    }
}

/// An accepted event on its way into a queue (type-erased, like ``QueueEntry``). A publisher
/// that stores a batch in a durable queue makes these in its own, specialised code (see
/// ``WorkQueue/enqueue(boxed:)``), so that the queue's generic code neither boxes nor copies
/// the elements.
@usableFromInline
package struct PendingItem: Sendable {
    /// An `ElementBox` of the queue's element type.
    @usableFromInline package var element: any BoxedElement
    @usableFromInline package var id: EventID
    @usableFromInline package var priority: Priority

    @inlinable
    package init(element: any BoxedElement, id: EventID, priority: Priority) {
        self.element = element
        self.id = id
        self.priority = priority
    }
}
