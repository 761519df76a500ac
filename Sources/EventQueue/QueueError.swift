import EventLog

/// Why a queue refused an operation.
@usableFromInline
package enum QueueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The queue is bounded with ``OverflowPolicy/fail`` and holds `capacity` events.
    case full(capacity: Int)
    /// The queue was closed; nothing more is accepted.
    case closed
    /// The producer was cancelled while it waited for room; the event was not enqueued.
    case cancelled
    /// The storage behind the queue failed: an event was not accepted, or a delivery's progress
    /// (acknowledgement, retry, dead letter) was not recorded.
    case storage(StoreFailure)
    /// No lease with that tag is in flight (already acknowledged, expired or never issued).
    case unknownLease(UInt64)

    /// A sentence for people.
    @usableFromInline package var description: String {
        switch self {
        case .full(let capacity): "queue is full (capacity \(capacity), overflow policy .fail)"
        case .closed: "queue is closed"
        case .cancelled: "enqueue was cancelled while waiting for room; the event was not accepted"
        case .storage(let failure): "queue storage failed: \(failure)"
        case .unknownLease(let tag): "no delivery with lease tag \(tag) is in flight"
        }
    }
}

/// What happened to an offered event.
@usableFromInline
package enum EnqueueOutcome: Sendable, Hashable {
    /// The event is in the queue.
    case enqueued
    /// The event was dropped by ``OverflowPolicy/dropNewest``.
    case droppedNewest
    /// The event was accepted and the oldest waiting one dropped by ``OverflowPolicy/dropOldest``.
    case droppedOldest
    /// An event with the same id was seen within the dedup window; this one was not enqueued.
    case duplicate
}
