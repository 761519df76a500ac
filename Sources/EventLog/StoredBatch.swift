/// Newly accepted events, in order, as a queue hands them to its storage in one call
/// (``QueueStorage/append(_:)``): all of them are stored, or none.
///
/// The events are made on demand: the queue keeps each event once, and a store reads them one at
/// a time (``element(at:)`` and friends skip building the stored event). Deliberately not a
/// `Collection`: a store's code is generic over the element and unspecialised, and there every
/// collection default (`count`, `indices`, iteration) costs generic metadata look-ups per call.
package struct StoredBatch<Element: Sendable>: Sendable {
    private let items: [PendingItem]
    /// When the events may be delivered, on the wall clock (nil: at once); the same for all.
    package let notBefore: WallClockInstant?

    /// A batch of the queue's items, each holding an `Element`.
    package init(items: [PendingItem], notBefore: WallClockInstant?) {
        self.items = items
        self.notBefore = notBefore
    }

    /// How many events.
    package var count: Int { items.count }

    /// Whether there are none.
    package var isEmpty: Bool { items.isEmpty }

    /// The events as storage keeps them (no attempts yet), made now.
    package var events: [StoredEvent<Element>] {
        var events: [StoredEvent<Element>] = []
        events.reserveCapacity(items.count)
        for position in 0..<items.count { events.append(self[position]) }
        return events
    }

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
