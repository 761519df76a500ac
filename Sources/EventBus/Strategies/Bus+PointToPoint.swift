import EventLog
import EventQueue
import Foundation
import Synchronization

/// A factory that is never routed by type (point-to-point consumers and responders).
struct DetachedFactory: EntryFactory {
    func entry<E: Event>(for sample: E, subscriptionID: UInt64) -> RouteEntry<E>? { nil }
}

extension Bus {
    /// Declares a point-to-point queue before use, choosing how events without an ordering key
    /// are dispatched. Sending or receiving declares a queue with the defaults.
    ///
    /// - Parameters:
    ///   - name: `[A-Za-z0-9._-]{1,128}`, no `..`.
    ///   - type: the one event type the queue carries.
    ///   - dispatch: round-robin (default) or least-loaded.
    ///   - capacity: the bound of the backlog (events sent while no consumer is attached).
    /// - Throws: ``BusError/invalidName(_:)``, ``BusError/queueTypeMismatch(queue:expected:actual:)``,
    ///   ``BusError/shutDown``.
    public func declareQueue<E: Event>(
        _ name: String,
        for type: E.Type,
        dispatch: DispatchPolicy = .roundRobin,
        capacity: Capacity = .default
    ) throws {
        _ = try channel(name, for: E.self, dispatch: dispatch, capacity: capacity)
    }

    /// Declares a durable point-to-point queue: every event sent to it is stored in `mailbox`
    /// before `send` returns, and every consumer of the queue — in this process, or, for a
    /// PostgreSQL mailbox (`.durable(name:store: .postgres(…))`), in any instance — competes for
    /// the stored events. A process that only sends declares its queues this way at start-up.
    ///
    /// ```swift
    /// try await bus.declareQueue("thumbnails", for: ResizeImage.self,
    ///                            mailbox: .durable(name: "thumbnails", directory: "/var/lib/shop"))
    /// try await bus.send(ResizeImage(id: 7), to: "thumbnails")    // stored, then returns
    /// ```
    ///
    /// - Throws: ``BusError/invalidName(_:)``; ``BusError/queueTypeMismatch(queue:expected:actual:)``
    ///   (also when another instance declared the stored queue for another type);
    ///   ``BusError/mailboxUnavailable(name:reason:)``; ``BusError/codec(_:)``; ``BusError/shutDown``.
    public func declareQueue<E: Event>(
        _ name: String,
        for type: E.Type,
        dispatch: DispatchPolicy = .roundRobin,
        capacity: Capacity = .default,
        mailbox: Mailbox
    ) async throws {
        let channel = try channel(name, for: E.self, dispatch: dispatch, capacity: capacity)
        guard case .durable = mailbox else { return }
        let (durable, key) = try await declaredDurableQueue(
            E.self,
            mailbox: mailbox,
            routed: false,
            retry: .none,
            deadLetter: .keep,
            dedup: nil,
            codec: nil
        )
        if try await channel.makeDurable(durable, key: key) == false, channel.durableQueue?.queue !== durable {
            throw BusError.queueTypeMismatch(queue: name, expected: "another durable queue", actual: E.eventName)
        }
        try recordStoredQueue(name, for: E.self, mailbox: mailbox, codec: nil)
    }

    /// Sends an event to exactly one consumer of the named queue (point-to-point).
    ///
    /// Returns once a consumer's queue (or the backlog) accepted it; waits while it is full.
    /// - Parameters:
    ///   - event: the event.
    ///   - queue: the queue name.
    ///   - orderingKey: events with the same key go to the same consumer, in order.
    ///   - priority: the lane.
    ///   - headers: metadata headers.
    /// - Returns: the event's id.
    @inlinable
    @discardableResult
    public nonisolated(nonsending) func send<E: Event>(
        _ event: E,
        to queue: String,
        orderingKey: String? = nil,
        priority: Priority = .normal,
        headers: [String: String] = [:]
    ) async throws -> EventID {
        let channel = try pointToPoint(queue, for: E.self)
        let metadata = EventMetadata(
            id: ids.next(),
            publishedAt: Date(),
            priority: priority,
            headers: headers,
            correlationID: EventContext.inheritedCorrelationID,
            attempt: 1,
            orderingKey: orderingKey
        )
        try await channel.send(Envelope(event: event, metadata: metadata))
        return metadata.id
    }

    /// Joins the named queue as one more competing consumer and returns its deliveries.
    ///
    /// With a durable `mailbox` the queue itself becomes durable: every event sent to it is
    /// stored before `send` returns, and every consumer of the queue competes for the stored
    /// events (at-least-once, redelivered after a crash or a shutdown until acknowledged, as a
    /// durable mailbox). Declare it at start-up, before anything is sent to it; events already
    /// waiting for a consumer are stored then. With a PostgreSQL mailbox the queue is stored in
    /// the database: consumers on every instance compete for it, and a `send` on any instance
    /// that declared it (``declareQueue(_:for:dispatch:capacity:mailbox:)``) stores into it.
    ///
    /// - Parameters:
    ///   - type: the event type the queue carries.
    ///   - queue: the queue name.
    ///   - mailbox: the bound of this consumer's own queue, or ``Mailbox/durable(name:store:capacity:)``
    ///     for a durable queue (consumers of a durable queue share it).
    ///   - acknowledgement: automatic or manual.
    ///   - retry: retries of failed deliveries (they stay with this consumer).
    ///   - deadLetter: what happens after the last attempt.
    public func receive<E: Event>(
        _ type: E.Type,
        from queue: String,
        mailbox: Mailbox = .memory(.bounded(1_000, overflow: .suspendPublisher)),
        acknowledgement: Acknowledgement = .automatic,
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep
    ) async throws -> Deliveries<E> {
        let channel = try channel(queue, for: E.self, dispatch: .roundRobin, capacity: .default)
        // Every consumer of a durable queue competes for the one stored queue, each with its own
        // acknowledgement, retry and dead-letter settings.
        let attach = { (durable: WorkQueue<Envelope<E>>, key: UInt64) throws -> Deliveries<E> in
            try self.consumer(
                of: durable,
                key: key,
                settings: ConsumerSettings(acknowledgement, retry: retry, deadLetter: deadLetter),
                automatic: acknowledgement == .automatic,
                strategy: .pointToPoint
            )
        }
        if case .durable = mailbox {
            let (durable, key) = try await declaredDurableQueue(
                E.self,
                mailbox: mailbox,
                routed: false,
                retry: retry,
                deadLetter: deadLetter,
                dedup: nil,
                codec: nil
            )
            if try await channel.makeDurable(durable, key: key) == false, channel.durableQueue?.queue !== durable {
                throw BusError.queueTypeMismatch(queue: queue, expected: "another durable queue", actual: E.eventName)
            }
            try recordStoredQueue(queue, for: E.self, mailbox: mailbox, codec: nil)
            return try attach(durable, key)
        }
        if let (durable, key) = channel.durableQueue { return try attach(durable, key) }
        let consumerQueue = WorkQueue<Envelope<E>>(
            name: registry.claimName("queue \(queue)"),
            configuration: queueConfiguration(
                capacity: mailbox.capacity,
                acknowledgement: acknowledgement,
                retry: retry,
                deadLetter: deadLetter,
                dedup: nil
            )
        )
        #if LoggingSupport
            logDeadLetters(of: consumerQueue, eventName: E.eventName)
        #endif
        let consumerID = channel.attach(consumerQueue)
        let key = registry.add(consumerQueue, kind: .pointToPoint, deadLetters: .memory(consumerQueue))
        let id: UInt64
        do {
            id = try router.add(target: .detached, strategy: .pointToPoint, factory: DetachedFactory()) {
                [weak self] in
                channel.detach(consumerID)
                self?.registry.remove(key)
            }
        } catch {
            channel.detach(consumerID)
            registry.remove(key)
            throw error
        }
        let subscription = Subscription(ids: [id], router: router, strategy: .pointToPoint)
        return Deliveries(
            queue: consumerQueue,
            lifetime: SubscriptionLifetime(subscription),
            automatic: acknowledgement == .automatic,
            registryKey: key
        )
    }

    /// Joins the named queue with a handler: returning acknowledges, throwing is a nack.
    @discardableResult
    public func consume<E: Event>(
        _ type: E.Type,
        from queue: String,
        mailbox: Mailbox = .memory(.bounded(1_000, overflow: .suspendPublisher)),
        retry: RetryPolicy = .none,
        deadLetter: DeadLetterPolicy = .keep,
        handler: @escaping @Sendable (E) async throws -> Void
    ) async throws -> Consumer<E> {
        let deliveries = try await receive(
            E.self,
            from: queue,
            mailbox: mailbox,
            acknowledgement: retry.maxAttempts > 1 ? .manual(visibilityTimeout: nil) : .automatic,
            retry: retry,
            deadLetter: deadLetter
        )
        return Consumer(
            deliveries: deliveries,
            task: startConsumer(deliveries, strategy: .pointToPoint, handler: handler)
        )
    }

    /// The channel named `name` for `E`, declared with the defaults on first use. An existing
    /// channel of the right type is found without a name check (a name in the table passed it
    /// when its channel was made) and without a dynamic cast.
    @inlinable
    func pointToPoint<E: Event>(_ name: String, for type: E.Type) throws -> Channel<E> {
        if let existing = existingChannel(name, eventType: ObjectIdentifier(E.self)) {
            return unsafeDowncast(existing, to: Channel<E>.self)
        }
        return try channel(name, for: E.self, dispatch: .roundRobin, capacity: .default)
    }

    /// The channel named `name` when it carries exactly the event type `eventType` and the bus
    /// is running; nil otherwise (``channel(_:for:dispatch:capacity:)`` then says why or makes it).
    @usableFromInline
    func existingChannel(_ name: String, eventType: ObjectIdentifier) -> AnyObject? {
        registrations.state.withLock { state in
            guard state.shutdown == nil, let existing = state.channels[name], existing.eventType == eventType else {
                return nil
            }
            return existing
        }
    }

    @usableFromInline
    func channel<E: Event>(
        _ name: String,
        for type: E.Type,
        dispatch: DispatchPolicy,
        capacity: Capacity
    )
        throws -> Channel<E>
    {
        try BusError.validate(name: name)
        let clock = self.clock
        return try registrations.state.withLock { state throws(BusError) -> Channel<E> in
            if state.shutdown != nil { throw .shutDown }
            if let existing = state.channels[name] {
                guard existing.eventType == ObjectIdentifier(E.self) else {
                    throw .queueTypeMismatch(queue: name, expected: existing.eventTypeName, actual: E.eventName)
                }
                return unsafeDowncast(existing, to: Channel<E>.self)
            }
            let channel = Channel<E>(name: name, dispatch: dispatch, capacity: capacity, clock: clock)
            state.channels[name] = channel
            return channel
        }
    }
}
