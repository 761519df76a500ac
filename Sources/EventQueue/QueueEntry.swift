import EventLog

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
