import EventQueue
import Synchronization

extension Bus {
    /// Calls `handler` for every event of type `E` (EventEmitter's `on`).
    ///
    /// The handler runs isolated to the caller's actor when there is one (`#isolation`), one event
    /// at a time, in publish order. `publish` returns once the event is in the callback's queue.
    /// A handler that throws is reported as a ``HandlerFailure``; later events still arrive.
    ///
    /// - Returns: the subscription; ``Subscription/cancel()`` is `off`.
    /// - Throws: ``BusError/shutDown``.
    @discardableResult
    public func on<E: Event>(
        _ type: E.Type,
        isolation: isolated (any Actor)? = #isolation,
        handler: @escaping (E) async throws -> Void
    ) throws -> Subscription {
        try addCallback(
            E.self,
            target: .exact(ObjectIdentifier(E.self)),
            once: false,
            isolation: isolation,
            makeFactory: { ExactFactory<E>(strategy: .callback, deliver: $0, deliverNow: $1, deliverBoxed: $2) },
            handler: handler
        )
    }

    /// Calls `handler` for every event whose type matches `P`, typically a protocol
    /// (`(any OrderEvent).self`), or every event (`(any Event).self`).
    @discardableResult
    public func on<P: Sendable>(
        matching type: P.Type,
        isolation: isolated (any Actor)? = #isolation,
        handler: @escaping (P) async throws -> Void
    ) throws -> Subscription {
        try addCallback(
            P.self,
            target: .pattern,
            once: false,
            isolation: isolation,
            makeFactory: { deliver, deliverNow, _ in
                PatternFactory<P>(strategy: .callback, deliver: deliver, deliverNow: deliverNow)
            },
            handler: handler
        )
    }

    /// Calls `handler` for the next event of type `E` only, then cancels itself.
    @discardableResult
    public func once<E: Event>(
        _ type: E.Type,
        isolation: isolated (any Actor)? = #isolation,
        handler: @escaping (E) async throws -> Void
    ) throws -> Subscription {
        try addCallback(
            E.self,
            target: .exact(ObjectIdentifier(E.self)),
            once: true,
            isolation: isolation,
            makeFactory: { ExactFactory<E>(strategy: .callback, deliver: $0, deliverNow: $1, deliverBoxed: $2) },
            handler: handler
        )
    }

    private func addCallback<T: Sendable>(
        _ type: T.Type,
        target: RouteTarget,
        once: Bool,
        isolation: isolated (any Actor)?,
        makeFactory: (
            @escaping @Sendable (T, EventMetadata) async -> DeliveryResult,
            (@Sendable (T, EventMetadata) -> DeliveryResult?)?,
            (@Sendable (any BoxedElement, EventMetadata) -> DeliveryResult?)?
        ) -> any EntryFactory,
        handler: @escaping (T) async throws -> Void
    ) throws -> Subscription {
        let queue = WorkQueue<Envelope<T>>(
            name: "callback \(typeName(T.self))",
            configuration: QueueConfiguration(capacity: configuration.callbackCapacity, clock: clock)
        )
        queue.trackCompletion()
        let fired = Atomic<Bool>(false)
        let overflow = configuration.callbackCapacity.overflowPolicy
        let deliver: @Sendable (T, EventMetadata) async -> DeliveryResult = { event, metadata in
            if once && fired.exchange(true, ordering: .relaxed) { return .gone }
            return await Bus.offer(queue, Envelope(event: event, metadata: metadata), overflow: overflow)
        }
        // `once` decides in `deliver` alone: a second decision on the fast path could fire it twice.
        var deliverNow: (@Sendable (T, EventMetadata) -> DeliveryResult?)?
        var deliverBoxed: (@Sendable (any BoxedElement, EventMetadata) -> DeliveryResult?)?
        if !once {
            deliverNow = { @Sendable event, metadata in
                Bus.offerNow(queue, Envelope(event: event, metadata: metadata), overflow: overflow)
            }
            deliverBoxed = { @Sendable envelope, metadata in
                Bus.offerBoxed(queue, envelope, metadata: metadata, overflow: overflow)
            }
        }
        let factory = makeFactory(deliver, deliverNow, deliverBoxed)
        let registryKey = registry.add(queue)
        let id = try router.add(target: target, strategy: .callback, factory: factory) { [registry] in
            queue.close()
            _ = registry
        }
        let router = self.router
        // The stack, not the bus: reading it per event must not load a weak reference.
        let middlewares = self.middlewares
        let task = Task { [weak self] in
            _ = isolation
            while let batch = try? await queue.nextBoxed() {
                for lease in batch {
                    let envelope = WorkQueue<Envelope<T>>.typed(lease.element)
                    do {
                        try await EventContext.$current.withValue(EventContext.Current(metadata: envelope.metadata)) {
                            if middlewares.isActive {
                                let invocation = HandlerInvocation(
                                    eventName: eventName(of: envelope.event),
                                    metadata: envelope.metadata,
                                    strategy: .callback,
                                    subscriptionID: id
                                )
                                try await middlewares.invoke(invocation, eventType: eventType(of: envelope.event)) {
                                    try await handler(envelope.event)
                                }
                            } else {
                                try await handler(envelope.event)
                            }
                        }
                    } catch {
                        let failure = HandlerFailure(
                            subscriptionID: id,
                            strategy: .callback,
                            eventName: typeName(T.self),
                            eventID: envelope.metadata.id,
                            error: error
                        )
                        await self?.reportFailure(failure, while: T.self)
                    }
                    if once {
                        router.remove([id])
                        queue.terminate(releasingInFlight: true)
                    }
                }
                queue.complete(batch.count)
            }
            self?.registry.remove(registryKey)
        }
        registry.setConsumer(task, for: registryKey)
        return Subscription(ids: [id], router: router, strategy: .callback)
    }

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
