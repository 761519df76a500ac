import EventLog
import EventQueue

// How a publish hands an event to a subscription's queue: at once when the queue lets it
// (`offerNow`, `offerBoxed`), waiting for room under `suspendPublisher` (`offer`), and for durable
// mailboxes storing a delayed event or a batch (`schedule`, `store`). Every mailbox, callback
// queue and durable mailbox uses these.
extension Bus {
    /// Enqueues an `Envelope<T>` already boxed (shared by every queue of the publish) without
    /// suspending; nil when it cannot (the queue has storage, or is full and its policy is
    /// ``OverflowPolicy/suspendPublisher``).
    static func offerBoxed<T: Sendable>(
        _ queue: WorkQueue<Envelope<T>>,
        _ envelope: any BoxedElement,
        metadata: EventMetadata,
        overflow: OverflowPolicy
    ) -> DeliveryResult? {
        guard !queue.hasStorage else { return nil }
        do {
            return .enqueued(try queue.tryEnqueue(boxed: envelope, id: metadata.id, priority: metadata.priority))
        } catch .full where overflow == .suspendPublisher {
            return nil
        } catch {
            return DeliveryResult(refusal: error, queue: queue.name)
        }
    }

    /// Enqueues an envelope into an in-memory queue without suspending; nil when it cannot
    /// (the queue has storage, or is full and its policy is ``OverflowPolicy/suspendPublisher``).
    static func offerNow<T: Sendable>(
        _ queue: WorkQueue<Envelope<T>>,
        _ envelope: Envelope<T>,
        overflow: OverflowPolicy
    ) -> DeliveryResult? {
        offerBoxed(queue, WorkQueue<Envelope<T>>.box(envelope), metadata: envelope.metadata, overflow: overflow)
    }

    /// Enqueues an envelope into a subscription's queue, waiting for room only under
    /// ``OverflowPolicy/suspendPublisher``.
    static func offer<T: Sendable>(
        _ queue: WorkQueue<Envelope<T>>,
        _ envelope: Envelope<T>,
        overflow: OverflowPolicy
    )
        async -> DeliveryResult
    {
        if let result = offerNow(queue, envelope, overflow: overflow) { return result }
        do {
            return .enqueued(
                try await queue.enqueue(envelope, id: envelope.metadata.id, priority: envelope.metadata.priority)
            )
        } catch {
            return DeliveryResult(refusal: error, queue: queue.name)
        }
    }
}

extension Bus {
    /// Stores a delayed event in a durable mailbox at once, due at `instant` (persisted with it).
    static func schedule<T: Sendable>(
        _ queue: WorkQueue<Envelope<T>>,
        _ envelope: Envelope<T>,
        at instant: ContinuousClock.Instant
    ) async -> DeliveryResult {
        do {
            return .enqueued(
                try await queue.enqueue(
                    envelope,
                    id: envelope.metadata.id,
                    priority: envelope.metadata.priority,
                    notBefore: instant
                )
            )
        } catch {
            return DeliveryResult(refusal: error, queue: queue.name)
        }
    }

    /// Stores a batch in a durable mailbox, in order, as one group (one write and one fsync).
    static func store<T: Sendable>(
        _ queue: WorkQueue<Envelope<T>>,
        _ items: [PendingItem]
    ) async -> [DeliveryResult] {
        let results = await queue.enqueue(boxed: items)
        return results.map { result in
            switch result {
            case .success(let outcome): .enqueued(outcome)
            case .failure(let error): DeliveryResult(refusal: error, queue: queue.name)
            }
        }
    }
}

/// The name of an event's concrete type (for pattern subscriptions, not the pattern's).
func eventName<T>(of value: T) -> String {
    if let event = value as? any Event { return type(of: event).eventName }
    return typeName(T.self)
}

/// An event's concrete type, which middleware scopes match against.
func eventType<T>(of value: T) -> Any.Type {
    if let event = value as? any Event { return type(of: event) }
    return T.self
}

/// The readable name of an event type or pattern.
func typeName<T>(_ type: T.Type) -> String {
    if let event = type as? any Event.Type { return event.eventName }
    return String(describing: type)
}

extension Capacity {
    /// What a full queue of this capacity does (an unbounded one is never full).
    @usableFromInline
    var overflowPolicy: OverflowPolicy {
        switch self {
        case .bounded(_, let overflow): overflow
        case .unbounded: .suspendPublisher
        }
    }
}
