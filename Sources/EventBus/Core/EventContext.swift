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

    /// The event being handled by this task (or, inside an inline callback, by this thread), or
    /// nil outside handlers.
    public static var current: Current? {
        InlineContext.current ?? bound
    }

    /// The event being handled by an asynchronous handler: bound around each observer,
    /// callback, consumer and responder call. Inline callbacks, which are synchronous, use
    /// ``InlineContext`` instead (a task-local binding costs a tenth of an inline publish).
    @TaskLocal static var bound: Current?

    /// ``bound``'s binding, for the inlinable publish path.
    @usableFromInline static var binding: TaskLocal<Current?> { $bound }

    /// The correlation id an event published now inherits: that of the event being handled,
    /// or its id when it has none.
    @usableFromInline
    static var inheritedCorrelationID: String? {
        guard let current else { return nil }
        return current.metadata.correlationID ?? current.metadata.id.description
    }
}
