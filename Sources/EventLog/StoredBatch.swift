/// Newly accepted events, in order, as a queue hands them to its storage in one call
/// (``QueueStorage/append(_:)``): all of them are stored, or none.
///
/// A collection of ``StoredEvent`` values made on demand: the queue keeps each event once, and a
/// store reads them one at a time (``element(at:)`` and friends skip building the stored event).
package struct StoredBatch<Element: Sendable>: RandomAccessCollection, Sendable {
    private let items: [PendingItem]
    /// When the events may be delivered, on the wall clock (nil: at once); the same for all.
    package let notBefore: WallClockInstant?

    /// A batch of the queue's items, each holding an `Element`.
    package init(items: [PendingItem], notBefore: WallClockInstant?) {
        self.items = items
        self.notBefore = notBefore
    }

    package var startIndex: Int { 0 }
    package var endIndex: Int { items.count }

    /// The event at `position`, as storage keeps it (no attempts yet).
    package subscript(position: Int) -> StoredEvent<Element> {
        StoredEvent(
            element: element(at: position),
            id: items[position].id,
            priority: items[position].priority,
            attempts: 0,
            notBefore: notBefore
        )
    }

    /// The event at `position`.
    package func element(at position: Int) -> Element {
        unsafeDowncast(items[position].element, to: ElementBox<Element>.self).value
    }

    /// The id of the event at `position`.
    package func id(at position: Int) -> EventID { items[position].id }

    /// The lane of the event at `position`.
    package func priority(at position: Int) -> Priority { items[position].priority }
}
