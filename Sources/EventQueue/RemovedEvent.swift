import EventLog

/// An event removed from a queue by ``WorkQueue/removeAll()``.
package struct RemovedEvent<Element: Sendable>: Sendable {
    package var element: Element
    package var id: EventID
    package var priority: Priority
    package var attempts: Int
}
