import EventLog
import EventQueue

/// What delivering one event to one subscription did.
@usableFromInline
enum DeliveryResult: Sendable {
    case observed
    /// An inline callback ran without throwing.
    case handledInline
    case enqueued(EnqueueOutcome)
    case failed(any Error)
    case rejected(String)
    /// A durable mailbox could not store the event.
    case notStored(StoreFailure)
    /// The publisher was cancelled while it waited for room: this subscriber did not get it.
    case cancelled
    case gone
}

extension DeliveryResult {
    /// What a queue's refusal means for the publish: a closed queue's subscription is gone, a
    /// full one (overflow policy `.fail`) rejected the event, a durable one that could not store
    /// it did not store it, and a publisher cancelled while it waited for room was cancelled.
    init(refusal error: any Error, queue name: String) {
        switch error as? QueueError {
        case .closed?: self = .gone
        case .full?: self = .rejected(name)
        case .storage(let failure)?: self = .notStored(failure)
        case .cancelled?: self = .cancelled
        default: self = .failed(error)
        }
    }
}

/// One subscription's delivery function for events of type `E`. A class: a publish copies an
/// entry out of its route per subscription, and a struct of five closures cost as many
/// retains and releases per copy.
@usableFromInline
final class RouteEntry<E: Event>: Sendable {
    @usableFromInline let subscriptionID: UInt64
    @usableFromInline let strategy: Strategy
    /// Runs on the publisher's executor (`nonisolated(nonsending)`): an observer's call hops to
    /// its actor and straight back, with no stop on the generic executor either way.
    @usableFromInline let deliver: nonisolated(nonsending) @Sendable (E, EventMetadata) async -> DeliveryResult
    /// For in-memory queues: enqueues without suspending, or returns nil when only `deliver`
    /// can (the queue is full and the publisher must wait). Saves two async frames per publish.
    @usableFromInline let deliverNow: (@Sendable (E, EventMetadata) -> DeliveryResult?)?
    /// `deliverNow` for subscriptions of exactly `E`, taking an `Envelope<E>` boxed once per
    /// publish and shared by every such queue (a fan-out copies one reference, not the envelope).
    @usableFromInline let deliverBoxed: (@Sendable (any BoxedElement, EventMetadata) -> DeliveryResult?)?
    /// For durable mailboxes: storing delayed events and batches without the one-event path.
    @usableFromInline let durable: DurableHooks<E>?
    /// A whole batch at once (`publish(contentsOf:)`), each item's element an `Envelope<E>` boxed
    /// once per batch: an in-memory queue admits the run under one hold of its lock and wakes its
    /// consumer once; an observer takes the batch in one hop to its actor. One result per item.
    @usableFromInline let deliverBatch: (@Sendable ([PendingItem]) async -> [DeliveryResult])?
    /// The queue's name for a mailbox or callback queue (reports of a refusal name it).
    @usableFromInline let queueName: String?

    init(
        subscriptionID: UInt64,
        strategy: Strategy,
        deliver: nonisolated(nonsending) @escaping @Sendable (E, EventMetadata) async -> DeliveryResult,
        deliverNow: (@Sendable (E, EventMetadata) -> DeliveryResult?)? = nil,
        deliverBoxed: (@Sendable (any BoxedElement, EventMetadata) -> DeliveryResult?)? = nil,
        durable: DurableHooks<E>? = nil,
        deliverBatch: (@Sendable ([PendingItem]) async -> [DeliveryResult])? = nil,
        queueName: String? = nil
    ) {
        self.subscriptionID = subscriptionID
        self.strategy = strategy
        self.deliver = deliver
        self.deliverNow = deliverNow
        self.deliverBoxed = deliverBoxed
        self.durable = durable
        self.deliverBatch = deliverBatch
        self.queueName = queueName
    }
}

/// What a durable mailbox's route entry adds to the one-event delivery.
@usableFromInline
struct DurableHooks<E: Sendable>: Sendable {
    /// The mailbox's name, as reports and errors give it.
    @usableFromInline let mailbox: String
    /// Stores a delayed event at once, due at the instant (persisted with it).
    let schedule: @Sendable (E, EventMetadata, ContinuousClock.Instant) async -> DeliveryResult
    /// Stores a batch, in order, with one write and one fsync; one result per envelope. Takes
    /// the queue's items as they are (the envelope boxed, id, lane), made once per batch in the
    /// publisher's specialised code: made in the queue's generic code, each box cost a run-time
    /// metadata look-up, and each envelope two typed copies on its way to the log.
    @usableFromInline let store: @Sendable ([PendingItem]) async -> [DeliveryResult]
}

/// The compiled, immutable list of deliveries for one concrete event type.
// @unchecked: immutable; `entries` is a `let` array of Sendable values.
@usableFromInline
final class Route<E: Event>: AnyRoute, @unchecked Sendable {
    @usableFromInline let entries: [RouteEntry<E>]
    /// `E.eventName`, computed once: the default name is built by reflection.
    @usableFromInline let eventName: String
    /// Whether any entry is an observer (their calls bind the event's `EventContext`).
    @usableFromInline let hasObservers: Bool
    /// Whether any entry is a durable mailbox (a batch is stored in those as one group).
    @usableFromInline let hasDurable: Bool
    /// How many entries are durable mailboxes.
    @usableFromInline let durableCount: Int
    /// Whether any entry is an inline callback (with middleware, they are called through it).
    @usableFromInline let hasInline: Bool
    /// Whether every entry takes the event without suspending the publisher: no observer, no
    /// durable mailbox, every queue with a synchronous path (what ``Bus/emit(_:priority:headers:correlationID:id:)`` can reach).
    @usableFromInline let isSynchronous: Bool

    /// Inline callbacks run after every other entry (after the observers, once the event is
    /// in every queue); otherwise the entries keep their order.
    init(entries: [RouteEntry<E>]) {
        let inline = entries.filter { $0.strategy == .inlineCallback }
        self.entries = inline.isEmpty ? entries : entries.filter { $0.strategy != .inlineCallback } + inline
        self.eventName = E.eventName
        self.hasObservers = entries.contains { $0.strategy == .observer }
        self.durableCount = entries.count { $0.durable != nil }
        self.hasDurable = durableCount > 0
        self.hasInline = !inline.isEmpty
        self.isSynchronous =
            !hasObservers && !hasDurable && entries.allSatisfy { $0.deliverNow != nil || $0.deliverBoxed != nil }
    }
}

/// The type-erased handle under which a ``Route`` is cached.
@usableFromInline
class AnyRoute: @unchecked Sendable {
    // @unchecked: subclasses are immutable (`let` properties of Sendable types only).
}

/// Builds a subscription's ``RouteEntry`` for a concrete event type, or nil when the
/// subscription does not take that type.
protocol EntryFactory: Sendable {
    func entry<E: Event>(for sample: E, subscriptionID: UInt64) -> RouteEntry<E>?
}

/// The subscription's target: one concrete type, or every type that matches a pattern.
enum RouteTarget: Sendable {
    case exact(ObjectIdentifier)
    case pattern
    /// Not routed by event type (point-to-point consumers, responders): kept for cancel and counts.
    case detached
    /// A consumer attached to a durable mailbox, which is routed (and counted) on its own: kept
    /// for cancel (detaching the consumer) only.
    case consumer
}

/// A subscription as the routing table keeps it.
struct SubscriptionRecord: Sendable {
    let id: UInt64
    let order: Int
    let target: RouteTarget
    let strategy: Strategy
    let factory: any EntryFactory
    /// Called once when the subscription ends (closes its mailbox, ends its consumer).
    let onCancel: (@Sendable () -> Void)?
    /// Whether what the subscription delivers to still exists (an observer is held weakly);
    /// nil: it lives until cancelled.
    var isAlive: (@Sendable () -> Bool)? = nil
}

/// Delivers to a subscription of exactly type `T`.
struct ExactFactory<T: Event>: EntryFactory {
    let strategy: Strategy
    let deliver: nonisolated(nonsending) @Sendable (T, EventMetadata) async -> DeliveryResult
    var deliverNow: (@Sendable (T, EventMetadata) -> DeliveryResult?)? = nil
    var deliverBoxed: (@Sendable (any BoxedElement, EventMetadata) -> DeliveryResult?)? = nil
    var durable: DurableHooks<T>? = nil
    var deliverBatch: (@Sendable ([PendingItem]) async -> [DeliveryResult])? = nil
    var queueName: String? = nil

    func entry<E: Event>(for sample: E, subscriptionID: UInt64) -> RouteEntry<E>? {
        guard T.self == E.self else { return nil }
        // Built as a `RouteEntry<T>`, where the closures have their own types, then the class
        // reference is reinterpreted (`T` is `E`). Reinterpreting the closures instead
        // (`unsafeBitCast` or `as?` of a function value) passes each through a generic parameter
        // and wraps it in two reabstraction thunks: two more calls, and for `deliver` two more
        // async frames, per delivery.
        let entry = RouteEntry<T>(
            subscriptionID: subscriptionID,
            strategy: strategy,
            deliver: deliver,
            deliverNow: deliverNow,
            // Only reached when `E` is `T`: the boxed envelope is an `Envelope<T>`.
            deliverBoxed: deliverBoxed,
            durable: durable,
            deliverBatch: deliverBatch,
            queueName: queueName
        )
        return unsafeDowncast(entry as AnyObject, to: RouteEntry<E>.self)
    }
}

/// Delivers to a subscription of a protocol or other pattern `P` (e.g. `any OrderEvent`).
struct PatternFactory<P: Sendable>: EntryFactory {
    let strategy: Strategy
    let deliver: nonisolated(nonsending) @Sendable (P, EventMetadata) async -> DeliveryResult
    var deliverNow: (@Sendable (P, EventMetadata) -> DeliveryResult?)? = nil
    var queueName: String? = nil

    func entry<E: Event>(for sample: E, subscriptionID: UInt64) -> RouteEntry<E>? {
        guard sample is P else { return nil }
        let deliver = self.deliver
        // The match was checked once for this concrete type when the route was compiled.
        var typedNow: (@Sendable (E, EventMetadata) -> DeliveryResult?)?
        if let now = deliverNow {
            typedNow = { @Sendable event, metadata in now(event as! P, metadata) }
        }
        return RouteEntry(
            subscriptionID: subscriptionID,
            strategy: strategy,
            deliver: { event, metadata in await deliver(event as! P, metadata) },
            deliverNow: typedNow,
            queueName: queueName
        )
    }
}
