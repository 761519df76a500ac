import EventLog
import EventQueue

extension Bus {
    /// Subscribes to events of type `E` through a mailbox of their own (publish-subscribe).
    ///
    /// - Parameters:
    ///   - type: the event type.
    ///   - mailbox: bounded, unbounded or durable (default: the configuration's).
    ///   - acknowledgement: automatic (on asking for the next delivery) or manual.
    ///   - retry: how failed deliveries (``Delivery/nack(_:)``, visibility timeouts) are retried.
    ///   - deadLetter: what happens after the last failed attempt.
    ///   - dedup: drop a second event with an id already seen in this window.
    ///   - codec: how a durable mailbox stores event bodies (default: JSON for `Codable` events).
    /// - Throws: ``BusError/shutDown``; for durable mailboxes ``BusError/mailboxUnavailable(name:reason:)``
    ///   (bad name, insecure directory, locked by another process, I/O error) and
    ///   ``BusError/codec(_:)`` when the event type has no codec.
    public func subscribe<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox? = nil,
        acknowledgement: Acknowledgement = .automatic,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        dedup: DedupWindow? = nil,
        codec: (any EventCodec<E>)? = nil
    ) async throws -> Deliveries<E> {
        let mailbox = mailbox ?? configuration.defaultMailbox
        if case .durable = mailbox {
            return try await attachDurable(
                E.self,
                mailbox: mailbox,
                acknowledgement: acknowledgement,
                retry: retry,
                deadLetter: deadLetter,
                dedup: dedup,
                codec: codec
            )
        }
        return try await addMailbox(
            E.self,
            target: .exact(ObjectIdentifier(E.self)),
            mailbox: mailbox,
            acknowledgement: acknowledgement,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup
        ) { deliver, deliverNow, deliverBoxed, deliverBatch, name in
            ExactFactory<E>(
                strategy: .mailbox,
                deliver: deliver,
                deliverNow: deliverNow,
                deliverBoxed: deliverBoxed,
                deliverBatch: deliverBatch,
                queueName: name
            )
        }
    }

    /// Subscribes through a mailbox to every event whose type matches `P`, typically a protocol.
    /// - Throws: ``BusError/patternNotDurable(mailbox:)`` for a durable mailbox, ``BusError/shutDown``.
    public func subscribe<P: Sendable>(
        matching type: P.Type,
        mailbox: Mailbox? = nil,
        acknowledgement: Acknowledgement = .automatic,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        dedup: DedupWindow? = nil
    ) async throws -> Deliveries<P> {
        if case .durable(let name, _, _) = mailbox ?? configuration.defaultMailbox {
            throw BusError.patternNotDurable(mailbox: name)
        }
        return try await addMailbox(
            P.self,
            target: .pattern,
            mailbox: mailbox,
            acknowledgement: acknowledgement,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup
        ) { deliver, deliverNow, _, _, name in
            PatternFactory<P>(strategy: .mailbox, deliver: deliver, deliverNow: deliverNow, queueName: name)
        }
    }

    /// Subscribes `handler` to events of type `E` through a mailbox: each event is handled in turn;
    /// returning acknowledges it, throwing is a nack (retried per `retry`, then dead-lettered and
    /// reported as a ``HandlerFailure``).
    ///
    /// For a consumer group (a durable mailbox in a PostgreSQL store), `dedup` is the group's
    /// window in the store: an id the group acknowledged within it is not stored again by any
    /// instance's publish (the latest consumer or declaration that names a window sets it; nil
    /// leaves the group's as it is: `PostgresGroups.setDedup(group:window:)` removes one). For a
    /// local durable mailbox the window is the mailbox's, given where it is first declared: a
    /// different one here is refused (``BusError/conflictingDeclaration(mailbox:setting:declared:requested:)``).
    ///
    /// - Returns: the ``Consumer``: the bus iterates the mailbox; cancel the consumer to stop it
    ///   (a durable mailbox goes on storing, for the next consumer).
    @discardableResult
    public func consume<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox? = nil,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        dedup: DedupWindow? = nil,
        codec: (any EventCodec<E>)? = nil,
        handler: @escaping @Sendable (E) async throws -> Void
    ) async throws -> Consumer<E> {
        if let mailbox, isGroup(mailbox) {
            // A consumer group in a shared store: its instances compete for the store's events.
            return try await consumeGroup(
                E.self,
                mailbox: mailbox,
                retry: retry,
                deadLetter: deadLetter,
                dedup: dedup,
                codec: codec,
                handler: handler
            )
        }
        let needsAck = retry.maxAttempts > 1
        let deliveries = try await subscribe(
            E.self,
            mailbox: mailbox,
            acknowledgement: needsAck ? .manual(visibilityTimeout: nil) : .automatic,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup,
            codec: codec
        )
        return Consumer(deliveries: deliveries, task: startConsumer(deliveries, strategy: .mailbox, handler: handler))
    }

    /// Runs `handler` over `deliveries` in a task of its own, acking or nacking each delivery.
    @discardableResult
    func startConsumer<T: Sendable>(
        _ deliveries: Deliveries<T>,
        strategy: Strategy,
        handler: @escaping @Sendable (T) async throws -> Void
    ) -> Task<Void, Never> {
        // The bus runs this loop, so "idle" can include the handling of each delivery.
        deliveries.queue.trackCompletion()
        let key = deliveries.registryKey
        // The stack, not the bus: reading it per event must not load a weak reference.
        let middlewares = self.middlewares
        let mailbox = deliveries.queue.name
        let task = Task { [weak self] in
            var iterator = deliveries.makeAsyncIterator()
            let subscriptionID = deliveries.subscription.ids.first ?? 0
            while let delivery = try? await iterator.next() {
                if let error = await Bus.run(
                    .sendable(handler),
                    delivery.event,
                    metadata: delivery.metadata,
                    strategy: strategy,
                    subscriptionID: subscriptionID,
                    mailbox: mailbox,
                    middlewares: middlewares
                ) {
                    try? await delivery.nack(reported: error)
                    await self?.reportFailure(
                        HandlerFailure(
                            subscriptionID: subscriptionID,
                            strategy: strategy,
                            eventName: typeName(T.self),
                            eventID: delivery.metadata.id,
                            error: error,
                            attempt: delivery.metadata.attempt,
                            deadLettered: deliveries.queue.isTracked
                                && delivery.metadata.attempt >= deliveries.retryPolicy.maxAttempts,
                            mailbox: mailbox
                        ),
                        while: T.self
                    )
                } else {
                    try? await delivery.ack()
                }
            }
        }
        registry.setConsumer(task, for: key)
        return task
    }

    /// Adds a mailbox in memory.
    private func addMailbox<T: Sendable>(
        _ type: T.Type,
        target: RouteTarget,
        mailbox: Mailbox?,
        acknowledgement: Acknowledgement,
        retry: RetryPolicy,
        deadLetter: DeadLetterPolicy,
        dedup: DedupWindow?,
        makeFactory: (
            @escaping @Sendable (T, EventMetadata) async -> DeliveryResult,
            (@Sendable (T, EventMetadata) -> DeliveryResult?)?,
            (@Sendable (any BoxedElement, EventMetadata) -> DeliveryResult?)?,
            (@Sendable ([PendingItem]) async -> [DeliveryResult])?,
            String
        ) -> any EntryFactory
    ) async throws -> Deliveries<T> {
        let capacity = (mailbox ?? configuration.defaultMailbox).capacity
        let settings = queueConfiguration(
            capacity: capacity,
            acknowledgement: acknowledgement,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup
        )
        let queue = WorkQueue<Envelope<T>>(
            name: registry.claimName(
                (mailbox ?? configuration.defaultMailbox).requestedName ?? "mailbox \(typeName(T.self))"
            ),
            configuration: settings
        )
        #if LoggingSupport
            logDeadLetters(of: queue, eventName: typeName(T.self))
        #endif
        let overflow = capacity.overflowPolicy
        let deliver: @Sendable (T, EventMetadata) async -> DeliveryResult = { event, metadata in
            await Bus.offer(queue, Envelope(event: event, metadata: metadata), overflow: overflow)
        }
        let deliverNow: @Sendable (T, EventMetadata) -> DeliveryResult? = { event, metadata in
            Bus.offerNow(queue, Envelope(event: event, metadata: metadata), overflow: overflow)
        }
        let deliverBoxed: @Sendable (any BoxedElement, EventMetadata) -> DeliveryResult? = { envelope, metadata in
            Bus.offerBoxed(queue, envelope, metadata: metadata, overflow: overflow)
        }
        let deliverBatch: @Sendable ([PendingItem]) async -> [DeliveryResult] = { items in
            await Bus.store(queue, items)
        }
        let factory = makeFactory(deliver, deliverNow, deliverBoxed, deliverBatch, queue.name)
        let key = registry.add(queue, kind: .memory, deadLetters: .memory(queue))
        let id: UInt64
        do {
            id = try router.add(target: target, strategy: .mailbox, factory: factory) { [weak self] in
                queue.close()
                self?.registry.remove(key)
            }
        } catch {
            registry.remove(key)
            queue.terminate(releasingInFlight: true)
            throw error
        }
        let subscription = Subscription(ids: [id], router: router, strategy: .mailbox)
        return Deliveries(
            queue: queue,
            lifetime: SubscriptionLifetime(subscription),
            automatic: acknowledgement == .automatic,
            registryKey: key
        )
    }

    func queueConfiguration(
        capacity: Capacity,
        acknowledgement: Acknowledgement,
        retry: RetryPolicy,
        deadLetter: DeadLetterPolicy,
        dedup: DedupWindow?
    ) -> QueueConfiguration {
        let tracked: AcknowledgementMode
        switch acknowledgement {
        case .manual(let timeout): tracked = .explicit(visibilityTimeout: timeout)
        case .automatic: tracked = retry.maxAttempts > 1 ? .explicit(visibilityTimeout: nil) : .none
        }
        return QueueConfiguration(
            capacity: capacity,
            acknowledgement: tracked,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup,
            clock: clock
        )
    }
}
