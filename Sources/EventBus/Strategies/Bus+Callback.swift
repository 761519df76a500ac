import EventLog
import EventQueue
import Synchronization

extension Bus {
    /// Calls `handler` for every event of type `E` (EventEmitter's `on`).
    ///
    /// The handler runs isolated to the caller's actor when there is one (`#isolation`), one event
    /// at a time, in publish order. `publish` returns once the event is in the callback's queue.
    /// A handler that throws is reported as a ``HandlerFailure``; later events still arrive.
    ///
    /// - Parameters:
    ///   - type: the event type.
    ///   - name: the callback's name in metrics, errors and logs (default `callback <event type>`);
    ///     a name a live queue of the bus already has gets ` #2`, ` #3`….
    ///   - isolation: the actor the handler runs on (the caller's, by default).
    ///   - handler: called with each event, one at a time.
    /// - Returns: the subscription; ``Subscription/cancel()`` is `off`.
    /// - Throws: ``BusError/shutDown``.
    @discardableResult
    public func on<E: Event>(
        _ type: E.Type,
        name: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        handler: @escaping (E) async throws -> Void
    ) throws -> Subscription {
        try addCallback(
            E.self,
            name: name,
            target: .exact(ObjectIdentifier(E.self)),
            once: false,
            isolation: isolation,
            makeFactory: Self.exactCallbackFactory(E.self),
            handler: handler
        )
    }

    /// Calls `handler` for every event whose type matches `P`, typically a protocol
    /// (`(any OrderEvent).self`), or every event (`(any Event).self`). `name` as for
    /// ``on(_:name:isolation:handler:)``.
    @discardableResult
    public func on<P: Sendable>(
        matching type: P.Type,
        name: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        handler: @escaping (P) async throws -> Void
    ) throws -> Subscription {
        try addCallback(
            P.self,
            name: name,
            target: .pattern,
            once: false,
            isolation: isolation,
            makeFactory: { deliver, deliverNow, _, _, name in
                PatternFactory<P>(strategy: .callback, deliver: deliver, deliverNow: deliverNow, queueName: name)
            },
            handler: handler
        )
    }

    /// Calls `handler` for the next event of type `E` only, then cancels itself. `name` as for
    /// ``on(_:name:isolation:handler:)``.
    @discardableResult
    public func once<E: Event>(
        _ type: E.Type,
        name: String? = nil,
        isolation: isolated (any Actor)? = #isolation,
        handler: @escaping (E) async throws -> Void
    ) throws -> Subscription {
        try addCallback(
            E.self,
            name: name,
            target: .exact(ObjectIdentifier(E.self)),
            once: true,
            isolation: isolation,
            makeFactory: Self.exactCallbackFactory(E.self),
            handler: handler
        )
    }

    /// Makes the route entry factory of a callback of exactly `E`.
    private static func exactCallbackFactory<E: Event>(
        _ type: E.Type
    ) -> (
        @escaping @Sendable (E, EventMetadata) async -> DeliveryResult,
        (@Sendable (E, EventMetadata) -> DeliveryResult?)?,
        (@Sendable (any BoxedElement, EventMetadata) -> DeliveryResult?)?,
        (@Sendable ([PendingItem]) async -> [DeliveryResult])?,
        String
    ) -> any EntryFactory {
        { deliver, deliverNow, deliverBoxed, deliverBatch, name in
            ExactFactory<E>(
                strategy: .callback,
                deliver: deliver,
                deliverNow: deliverNow,
                deliverBoxed: deliverBoxed,
                deliverBatch: deliverBatch,
                queueName: name
            )
        }
    }

    private func addCallback<T: Sendable>(
        _ type: T.Type,
        name: String?,
        target: RouteTarget,
        once: Bool,
        isolation: isolated (any Actor)?,
        makeFactory: (
            @escaping @Sendable (T, EventMetadata) async -> DeliveryResult,
            (@Sendable (T, EventMetadata) -> DeliveryResult?)?,
            (@Sendable (any BoxedElement, EventMetadata) -> DeliveryResult?)?,
            (@Sendable ([PendingItem]) async -> [DeliveryResult])?,
            String
        ) -> any EntryFactory,
        handler: @escaping (T) async throws -> Void
    ) throws -> Subscription {
        let queue = WorkQueue<Envelope<T>>(
            name: registry.claimName(name ?? "callback \(typeName(T.self))"),
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
        var deliverBatch: (@Sendable ([PendingItem]) async -> [DeliveryResult])?
        if !once {
            deliverBatch = { @Sendable items in await Bus.store(queue, items) }
            deliverNow = { @Sendable event, metadata in
                Bus.offerNow(queue, Envelope(event: event, metadata: metadata), overflow: overflow)
            }
            deliverBoxed = { @Sendable envelope, metadata in
                Bus.offerBoxed(queue, envelope, metadata: metadata, overflow: overflow)
            }
        }
        let factory = makeFactory(deliver, deliverNow, deliverBoxed, deliverBatch, queue.name)
        let registryKey = registry.add(queue, kind: .callback)
        let id: UInt64
        do {
            id = try router.add(target: target, strategy: .callback, factory: factory) { queue.close() }
        } catch {
            registry.remove(registryKey)
            throw error
        }
        let router = self.router
        // The stack, not the bus: reading it per event must not load a weak reference.
        let middlewares = self.middlewares
        let mailbox = queue.name
        let task = Task { [weak self] in
            _ = isolation
            // One buffer, reused from take to take.
            var batch: [Lease<any BoxedElement>] = []
            while (try? await queue.nextBoxed(into: &batch)) == true {
                for lease in batch {
                    let envelope = WorkQueue<Envelope<T>>.typed(lease.element)
                    if let error = await Bus.run(
                        .isolated(handler),
                        envelope.event,
                        metadata: envelope.metadata,
                        strategy: .callback,
                        subscriptionID: id,
                        mailbox: mailbox,
                        middlewares: middlewares
                    ) {
                        let failure = HandlerFailure(
                            subscriptionID: id,
                            strategy: .callback,
                            eventName: typeName(T.self),
                            eventID: envelope.metadata.id,
                            error: error,
                            mailbox: queue.name
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
}
