/// How a queue hands out events and what it does when handling fails.
package enum AcknowledgementMode: Sendable, Hashable {
    /// An event leaves the queue when it is handed to a consumer: at-most-once, the cheapest mode.
    /// Retry and dead letters do not apply.
    case none
    /// An event stays in flight until it is acknowledged or negatively acknowledged. An event
    /// not settled within `visibilityTimeout` (nil: no timeout) counts as failed and is retried.
    case explicit(visibilityTimeout: Duration?)
}

/// The settings of a ``WorkQueue``.
@usableFromInline
package struct QueueConfiguration: Sendable {
    /// The bound and what happens beyond it.
    @usableFromInline package var capacity: Capacity
    /// Whether deliveries must be acknowledged.
    package var acknowledgement: AcknowledgementMode
    /// Attempts and backoff for failed deliveries (with explicit acknowledgement).
    package var retry: RetryPolicy
    /// What happens after the last failed attempt.
    package var deadLetter: DeadLetterPolicy
    /// Drop a second event with an id seen within this window (nil: no dedup).
    package var dedup: DedupWindow?
    /// The time source for delays, timeouts and backoff.
    package var clock: any QueueClock

    /// Creates a configuration; every argument has the default a production mailbox wants.
    package init(
        capacity: Capacity = .default,
        acknowledgement: AcknowledgementMode = .none,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        dedup: DedupWindow? = nil,
        clock: any QueueClock = SystemQueueClock()
    ) {
        self.capacity = capacity
        self.acknowledgement = acknowledgement
        self.retry = retry
        self.deadLetter = deadLetter
        self.dedup = dedup
        self.clock = clock
    }
}

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

/// An event as it sits in a queue.
///
/// The element is type-erased so that the queue's state machine is compiled once, for concrete
/// types, inside this module: a generic state would be unspecialised for every element type the
/// module cannot see, and pay a generic-metadata look-up at almost every step (measured: a third
/// of a mailbox publish). ``WorkQueue`` boxes on the way in and unboxes on the way out; the
/// element is one reference, so an entry copies with one retain. Ready events wait in their
/// lane as a smaller ``LaneEntry``.
struct QueueEntry {
    var element: any BoxedElement
    var id: EventID
    var enqueuedAt: Tick
    private var storedAttempts: Int32
    var priority: Priority

    init(element: any BoxedElement, id: EventID, priority: Priority, attempts: Int, enqueuedAt: Tick) {
        self.element = element
        self.id = id
        self.priority = priority
        self.storedAttempts = Int32(clamping: attempts)
        self.enqueuedAt = enqueuedAt
    }

    /// Deliveries started so far.
    var attempts: Int {
        get { Int(storedAttempts) }
        set { storedAttempts = Int32(clamping: newValue) }
    }
}

/// A ready event as its lane holds it: 32 bytes. The lane is the priority; an event delivered
/// before (a retry) carries its attempt count in a ``Retried`` box around its element, so that
/// the common first attempt costs nothing.
struct LaneEntry {
    var element: any BoxedElement
    var id: EventID
    var enqueuedAt: Tick

    init(_ entry: QueueEntry) {
        element = entry.attempts == 0 ? entry.element : Retried(entry.element, attempts: entry.attempts)
        id = entry.id
        enqueuedAt = entry.enqueuedAt
    }

    /// The full entry, in lane `priority`.
    func entry(priority: Priority) -> QueueEntry {
        // A type check rather than a cast: elements are `ElementBox`es or `Retried`s.
        if ObjectIdentifier(type(of: element)) == ObjectIdentifier(Retried.self) {
            let retried = unsafeDowncast(element, to: Retried.self)
            return QueueEntry(
                element: retried.element,
                id: id,
                priority: priority,
                attempts: Int(retried.attempts),
                enqueuedAt: enqueuedAt
            )
        }
        return QueueEntry(element: element, id: id, priority: priority, attempts: 0, enqueuedAt: enqueuedAt)
    }
}

/// An element waiting for another attempt, with the attempts it has had.
final class Retried: Sendable {
    let element: any BoxedElement
    let attempts: Int32

    init(_ element: any BoxedElement, attempts: Int) {
        self.element = element
        self.attempts = Int32(clamping: attempts)
    }
}

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

/// An event removed from a queue by ``WorkQueue/removeAll()``.
package struct RemovedEvent<Element: Sendable>: Sendable {
    package var element: Element
    package var id: EventID
    package var priority: Priority
    package var attempts: Int
}
