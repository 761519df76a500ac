import EventLog
import EventQueue
import Synchronization

/// A publish-subscribe subscription: an `AsyncSequence` of ``Delivery`` values from its own mailbox.
///
/// ```swift
/// let orders = try await bus.subscribe(OrderPlaced.self)
/// for try await delivery in orders {
///     try await bill(delivery.event)
/// }
/// ```
///
/// The subscription ends when ``cancel()`` is called, when the iterating task is cancelled, or
/// when the sequence and its iterator are released; events still in the mailbox are then
/// dropped (a durable mailbox keeps them).
public struct Deliveries<E: Sendable>: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = Delivery<E>

    @usableFromInline let queue: WorkQueue<Envelope<E>>
    @usableFromInline let lifetime: SubscriptionLifetime
    @usableFromInline let automatic: Bool
    let registryKey: UInt64
    /// This subscriber's own visibility timeout, retry and dead-letter policy, for a queue it
    /// shares with other consumers (a durable mailbox or queue); nil: the queue's configuration.
    @usableFromInline var consumer: ConsumerSettings? = nil

    /// The retry policy that settles this subscriber's deliveries.
    var retryPolicy: RetryPolicy { consumer?.retry ?? queue.configuration.retry }

    /// The subscription, to cancel it or check that it is active.
    public var subscription: Subscription { lifetime.subscription }

    /// Ends the subscription: the mailbox is closed; iteration ends after what it still holds.
    public func cancel() {
        lifetime.subscription.cancel()
    }

    /// Depth, counters, rates and latency of this subscription's mailbox.
    public func metrics() -> QueueMetrics {
        queue.metrics()
    }

    /// Events that exhausted their attempts (and, for a durable mailbox, records that decoded).
    /// Records this process could not read — another type, a newer version, a missing key —
    /// are dead letters too, counted in ``metrics()``; ``Bus/deadLetters(of:limit:)`` lists
    /// them all.
    public func deadLetters() -> [DeadLetter<Envelope<E>>] {
        queue.deadLetters()
    }

    /// What the durable mailbox found and repaired when it opened: records recovered, torn bytes
    /// cut, corrupt ranges quarantined (and where), events to redeliver, crashes (nil for a
    /// mailbox in memory).
    public var recoveryReport: RecoveryReport? { queue.recoveryReport }

    /// Puts dead letters back into the mailbox (all, or those with the given ids).
    /// - Throws: ``BusError/notRecorded(mailbox:cause:)`` when a durable mailbox could not record it.
    @discardableResult
    public func requeueDeadLetters(ids: Set<EventID>? = nil) async throws -> Int {
        do {
            return try await queue.requeueDeadLetters(ids: ids)
        } catch {
            throw BusError(settling: error, mailbox: queue.name)
        }
    }

    /// Creates the iterator.
    public func makeAsyncIterator() -> Iterator {
        Iterator(queue: queue, lifetime: lifetime, automatic: automatic, consumer: consumer)
    }

    /// Iterates the mailbox.
    public struct Iterator: AsyncIteratorProtocol {
        @usableFromInline let queue: WorkQueue<Envelope<E>>
        @usableFromInline let lifetime: SubscriptionLifetime
        @usableFromInline let automatic: Bool
        @usableFromInline let consumer: ConsumerSettings?
        @usableFromInline var buffer: [Lease<any BoxedElement>] = []
        @usableFromInline var index = 0
        /// The tag of the delivery handed out last, acknowledged on the next call (automatic mode).
        @usableFromInline var previous: UInt64?

        @usableFromInline
        init(
            queue: WorkQueue<Envelope<E>>,
            lifetime: SubscriptionLifetime,
            automatic: Bool,
            consumer: ConsumerSettings?
        ) {
            self.queue = queue
            self.lifetime = lifetime
            self.automatic = automatic
            self.consumer = consumer
        }

        /// The next delivery, or nil when the subscription has ended. A durable mailbox that cannot
        /// record the attempt (a full disk) delivers it all the same, without the attempt counted.
        /// With automatic acknowledgement, an acknowledgement a durable mailbox cannot record
        /// (it refuses writes since an I/O error) does not stop the subscriber: the event is
        /// delivered again after a restart, as at-least-once delivery allows.
        @inlinable
        public mutating func next() async throws -> Delivery<E>? {
            if automatic, let previous {
                self.previous = nil
                // Settled by the subscriber already, or not recorded: either way, go on.
                try? await queue.ack(tag: previous)
            }
            while index == buffer.count {
                queue.complete(buffer.count)
                index = 0
                // Tracked (and durable) deliveries are taken one at a time: a prefetched delivery would
                // count as attempted, and its visibility timeout would run, before it is handled.
                // The buffer is reused from take to take.
                guard
                    try await queue.nextBoxed(
                        maxCount: queue.isTracked ? 1 : WorkQueue<Envelope<E>>.batchSize,
                        consumer: consumer,
                        into: &buffer
                    )
                else {
                    buffer = []
                    lifetime.subscription.cancel()
                    return nil
                }
                // Empty: a consumer of a durable mailbox detached (the mailbox goes on); this one
                // ends if it was its own handle that detached.
                if buffer.isEmpty && !lifetime.subscription.isActive { return nil }
            }
            let lease = buffer[index]
            index += 1
            // Untracked deliveries (tag 0) have nothing to acknowledge.
            if automatic && lease.tag != 0 { previous = lease.tag }
            return Delivery(boxed: lease, queue: queue)
        }
    }
}

/// An iterator belongs to the one task that iterates.
@available(*, unavailable)
extension Deliveries.Iterator: Sendable {}

/// Cancels its subscription when the last sequence or iterator holding it is released.
@usableFromInline
final class SubscriptionLifetime: Sendable {
    @usableFromInline let subscription: Subscription

    init(_ subscription: Subscription) {
        self.subscription = subscription
    }

    deinit {
        subscription.cancel()
    }
}
