import EventQueue

extension Bus {
    /// Subscribes to events of type `E` through a mailbox of their own (publish-subscribe).
    ///
    /// - Parameters:
    ///   - type: the event type.
    ///   - mailbox: the bound and overflow policy (default: the configuration's).
    ///   - acknowledgement: automatic (on asking for the next delivery) or manual.
    ///   - retry: how failed deliveries (``Delivery/nack(_:)``, visibility timeouts) are retried.
    ///   - deadLetter: what happens after the last failed attempt.
    ///   - dedup: drop a second event with an id already seen in this window.
    /// - Throws: ``BusError/shutDown``.
    public func subscribe<E: Event>(
        to type: E.Type,
        mailbox: Mailbox? = nil,
        acknowledgement: DeliveryAcknowledgement = .automatic,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        dedup: DedupWindow? = nil
    ) throws -> Deliveries<E> {
        try addMailbox(
            E.self,
            target: .exact(ObjectIdentifier(E.self)),
            mailbox: mailbox,
            acknowledgement: acknowledgement,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup
        ) { ExactFactory<E>(strategy: .mailbox, deliver: $0) }
    }

    /// Subscribes through a mailbox to every event whose type matches `P`, typically a protocol.
    public func subscribe<P: Sendable>(
        matching type: P.Type,
        mailbox: Mailbox? = nil,
        acknowledgement: DeliveryAcknowledgement = .automatic,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        dedup: DedupWindow? = nil
    ) throws -> Deliveries<P> {
        try addMailbox(
            P.self,
            target: .pattern,
            mailbox: mailbox,
            acknowledgement: acknowledgement,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup
        ) { PatternFactory<P>(strategy: .mailbox, deliver: $0) }
    }

    /// Subscribes `handler` to events of type `E` through a mailbox: each event is handled in turn;
    /// returning acknowledges it, throwing is a nack (retried per `retry`, then dead-lettered and
    /// reported as a ``HandlerFailure``).
    @discardableResult
    public func consume<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox? = nil,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        dedup: DedupWindow? = nil,
        handler: @escaping @Sendable (E) async throws -> Void
    ) throws -> Deliveries<E> {
        let needsAck = retry.maxAttempts > 1
        let deliveries = try subscribe(
            to: E.self,
            mailbox: mailbox,
            acknowledgement: needsAck ? .manual(visibilityTimeout: nil) : .automatic,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup
        )
        startConsumer(deliveries, strategy: .mailbox, handler: handler)
        return deliveries
    }

    /// Runs `handler` over `deliveries` in a task of its own, acking or nacking each delivery.
    func startConsumer<T: Sendable>(
        _ deliveries: Deliveries<T>,
        strategy: Strategy,
        handler: @escaping @Sendable (T) async throws -> Void
    ) {
        // The bus runs this loop, so "idle" can include the handling of each delivery.
        deliveries.queue.trackCompletion()
        let key = deliveries.registryKey
        let task = Task { [weak self] in
            var iterator = deliveries.makeAsyncIterator()
            while let delivery = try? await iterator.next() {
                do {
                    try await EventContext.$current.withValue(EventContext.Current(metadata: delivery.metadata)) {
                        try await handler(delivery.event)
                    }
                    try? await delivery.ack()
                } catch {
                    try? await delivery.nack(error)
                    await self?.reportFailure(
                        HandlerFailure(
                            subscriptionID: deliveries.subscription.ids.first ?? 0,
                            strategy: strategy,
                            eventName: typeName(T.self),
                            eventID: delivery.metadata.id,
                            error: error
                        ),
                        while: T.self
                    )
                }
            }
        }
        registry.setConsumer(task, for: key)
    }

    private func addMailbox<T: Sendable>(
        _ type: T.Type,
        target: RouteTarget,
        mailbox: Mailbox?,
        acknowledgement: DeliveryAcknowledgement,
        retry: RetryPolicy,
        deadLetter: DeadLetterPolicy,
        dedup: DedupWindow?,
        makeFactory: (@escaping @Sendable (T, EventMetadata) async -> DeliveryResult) -> any EntryFactory
    ) throws -> Deliveries<T> {
        let capacity = (mailbox ?? configuration.defaultMailbox).capacity
        let queue = WorkQueue<Envelope<T>>(
            name: "mailbox \(typeName(T.self))",
            configuration: queueConfiguration(
                capacity: capacity,
                acknowledgement: acknowledgement,
                retry: retry,
                deadLetter: deadLetter,
                dedup: dedup
            )
        )
        let overflow = capacity.overflowPolicy
        let factory = makeFactory { event, metadata in
            await Bus.offer(queue, Envelope(event: event, metadata: metadata), overflow: overflow)
        }
        let key = registry.add(queue, strategy: .mailbox)
        let id = try router.add(target: target, strategy: .mailbox, factory: factory) { [weak self] in
            queue.close()
            self?.registry.remove(key)
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
        acknowledgement: DeliveryAcknowledgement,
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
