import EventLog
import EventQueue

/// The event being handled by the current task, if any.
///
/// Every strategy sets it around a handler invocation, so a handler can read the metadata of
/// its event (`EventContext.current?.metadata.attempt`), and an event published from inside a
/// handler inherits the correlation id of the event being handled.
public enum EventContext: Sendable {
    /// The event being handled.
    public struct Current: Sendable {
        /// The event's metadata.
        public let metadata: EventMetadata

        @usableFromInline
        init(metadata: EventMetadata) {
            self.metadata = metadata
        }
    }

    /// The event being handled by this task, or nil outside handlers.
    @TaskLocal public static var current: Current?

    /// The correlation id an event published now inherits: that of the event being handled,
    /// or its id when it has none.
    @usableFromInline
    static var inheritedCorrelationID: String? {
        guard let current else { return nil }
        return current.metadata.correlationID ?? current.metadata.id.description
    }
}
