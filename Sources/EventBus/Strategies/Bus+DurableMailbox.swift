import EventLog
import EventQueue

/// A durable mailbox declared in this process: it stores every event of its type, whether or not
/// a consumer is attached, until it is removed or the bus shuts down.
struct DeclaredMailbox: Sendable {
    /// The mailbox's name (its queue's: `billing`, or `billing #2` beside another store's).
    let name: String
    /// The mailbox as it was declared (its name in its store, and the store); nil for a shared
    /// store's point-to-point queue.
    let mailbox: Mailbox?
    /// Its event type's name (for the error when it is declared again with another type).
    let eventName: String
    /// The `WorkQueue<Envelope<E>>` behind it.
    let queue: any ManagedQueue
    /// The routing entry that stores events into it.
    let routeID: UInt64
    /// Its key in the bus's queue registry.
    let registryKey: UInt64
}

extension Bus {
    /// The store a durable mailbox names, or the bus's default, and the key it is declared under.
    func resolve(_ mailbox: Mailbox) throws(BusError) -> (name: String, store: DurableStore, key: String) {
        guard case .durable(let name, let named, _) = mailbox else {
            preconditionFailure("only a durable mailbox has a store")
        }
        try BusError.validate(name: name)
        guard let store = named ?? configuration.durableStore else { throw .noDurableStore(mailbox: name) }
        return (name, store, store.backend.identity + "\u{0}" + name)
    }

    /// What the bus lends a store.
    var storeContext: StoreContext {
        StoreContext(
            options: configuration.durableOptions,
            fileSystem: configuration.fileSystem,
            inlineSyncs: inlineSyncs
        )
    }

    /// Attaches a consumer to the durable mailbox `mailbox`, declaring it first when this process
    /// has not: from then on it stores every event of type `E` until removed. The returned
    /// sequence's end (cancelled or released) detaches the consumer only.
    func attachDurable<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox,
        acknowledgement: Acknowledgement,
        retry: RetryPolicy,
        deadLetter: DeadLetterPolicy,
        dedup: DedupWindow?,
        codec: (any EventCodec<E>)?
    ) async throws -> Deliveries<E> {
        let (queue, key) = try await declaredDurableQueue(
            E.self,
            mailbox: mailbox,
            routed: true,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup,
            codec: codec
        )
        return try consumer(
            of: queue,
            key: key,
            settings: ConsumerSettings(acknowledgement, retry: retry, deadLetter: deadLetter),
            automatic: acknowledgement == .automatic,
            strategy: .mailbox
        )
    }

    /// The queue of the durable mailbox `mailbox`, declared now when this process has not
    /// declared it: `routed`, it stores every event of type `E` (a publish-subscribe mailbox);
    /// otherwise only what is sent to it (a point-to-point queue).
    func declaredDurableQueue<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox,
        routed: Bool,
        retry: RetryPolicy,
        deadLetter: DeadLetterPolicy,
        dedup: DedupWindow?,
        codec: (any EventCodec<E>)?
    ) async throws -> (WorkQueue<Envelope<E>>, UInt64) {
        let (name, store, path) = try resolve(mailbox)
        if store.backend.groups != nil {
            // A shared store: a `subscribe` attaches to the group's shared queue, a `receive` to
            // the stored queue (Architecture.md, "The bus across instances").
            return routed
                ? try await groupQueue(E.self, mailbox: mailbox, dedup: dedup, codec: codec)
                : try await storedQueue(E.self, mailbox: mailbox, codec: codec)
        }
        if let declared = registrations.state.withLock({ $0.mailboxes[path] }) {
            guard let typed = declared.queue as? WorkQueue<Envelope<E>> else {
                throw BusError.queueTypeMismatch(queue: name, expected: declared.eventName, actual: E.eventName)
            }
            // The dedup window is the mailbox's (it decides what is stored): one that differs from
            // the declaration's is refused, never quietly ignored. Nil asks for nothing.
            if let dedup, dedup != typed.configuration.dedup {
                throw BusError.conflictingDeclaration(
                    mailbox: name,
                    setting: "dedup window",
                    declared: typed.configuration.dedup.map { "\($0)" } ?? "none",
                    requested: "\(dedup)"
                )
            }
            return (typed, declared.registryKey)
        }
        return try await declareDurable(
            E.self,
            mailbox: mailbox,
            name: name,
            store: store,
            capacity: mailbox.capacity,
            path: path,
            routed: routed,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup,
            codec: codec
        )
    }

    /// A consumer of a durable queue: its own record, whose cancel wakes the consumer while the
    /// queue goes on, and a sequence over the shared queue whose deliveries `settings` settle.
    func consumer<E: Event>(
        of queue: WorkQueue<Envelope<E>>,
        key: UInt64,
        settings: ConsumerSettings,
        automatic: Bool,
        strategy: Strategy
    ) throws -> Deliveries<E> {
        // Point-to-point consumers count as subscriptions, as in memory; a mailbox counts once.
        let target: RouteTarget = strategy == .pointToPoint ? .detached : .consumer
        let consumerID = try router.add(target: target, strategy: strategy, factory: DetachedFactory()) {
            queue.interruptConsumers()
        }
        return Deliveries(
            queue: queue,
            lifetime: SubscriptionLifetime(Subscription(ids: [consumerID], router: router, strategy: strategy)),
            automatic: automatic,
            registryKey: key,
            consumer: settings
        )
    }

    /// The codec a durable mailbox or a consumer group stores `E` with: the one given, or JSON
    /// for a `Codable` event.
    /// - Throws: ``BusError/codec(_:)`` when `E` has neither.
    func storedCodec<E: Event>(_ codec: (any EventCodec<E>)?, for type: E.Type) throws(BusError) -> any EventCodec<E> {
        if let codec { return codec }
        if let json = openedJSONCodec(for: E.self) { return json }
        throw .codec(.noCodec(eventName: E.eventName))
    }

    /// Opens a durable mailbox, recovers it, and routes every event of type `E` into it.
    private func declareDurable<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox,
        name: String,
        store: DurableStore,
        capacity: Capacity,
        path: String,
        routed: Bool,
        retry: RetryPolicy,
        deadLetter: DeadLetterPolicy,
        dedup: DedupWindow?,
        codec: (any EventCodec<E>)?
    ) async throws -> (WorkQueue<Envelope<E>>, UInt64) {
        if router.isShutDown { throw BusError.shutDown }
        let eventCodec = try storedCodec(codec, for: E.self)
        let storage: any QueueStorage<Envelope<E>>
        do {
            storage = try store.backend.storage(forMailbox: name, of: E.self, codec: eventCodec, context: storeContext)
        } catch {
            throw BusError.mailboxUnavailable(name: name, reason: StoreFailure(error))
        }
        // Durable mailboxes always track deliveries: an event stays stored until acknowledged.
        let settings = queueConfiguration(
            capacity: capacity,
            acknowledgement: .manual(visibilityTimeout: nil),
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup
        )
        // Unique within the bus: a second store's mailbox of the same name shows as "name #2".
        let queueName = registry.claimName(name)
        let queue: WorkQueue<Envelope<E>>
        do {
            queue = try await WorkQueue.open(name: queueName, configuration: settings, storage: storage)
        } catch {
            registry.releaseName(queueName)
            storage.close()
            throw BusError.mailboxUnavailable(name: name, reason: StoreFailure(storageError: error))
        }
        #if LoggingSupport
            logRecovery(of: queue)
            logDeadLetters(of: queue, eventName: E.eventName)
        #endif
        let hooks = DurableHooks<E>(
            mailbox: queue.name,
            schedule: { event, metadata, due in
                await Bus.schedule(queue, Envelope(event: event, metadata: metadata), at: due)
            },
            store: { items in await Bus.store(queue, items) }
        )
        let overflow = capacity.overflowPolicy
        let factory = ExactFactory<E>(
            strategy: .mailbox,
            deliver: { event, metadata in
                await Bus.offer(queue, Envelope(event: event, metadata: metadata), overflow: overflow)
            },
            durable: hooks
        )
        let key = registry.add(queue, kind: .durable, deadLetters: .durable(queue, codec: eventCodec))
        let routeID: UInt64
        do {
            // A point-to-point queue is not routed by type: only `send` reaches it.
            let target: RouteTarget = routed ? .exact(ObjectIdentifier(E.self)) : .consumer
            let strategy: Strategy = routed ? .mailbox : .pointToPoint
            routeID = try router.add(target: target, strategy: strategy, factory: factory) {
                [weak self] in
                // Removed or shut down: what is not acknowledged stays on disk for the next open.
                queue.terminate(releasingInFlight: true)
                self?.registry.remove(key)
                _ = self?.registrations.state.withLock { $0.mailboxes.removeValue(forKey: path) }
            }
        } catch {
            registry.remove(key)
            queue.terminate(releasingInFlight: true)
            throw error
        }
        registrations.state.withLock { state in
            state.mailboxes[path] = DeclaredMailbox(
                name: queue.name,
                mailbox: mailbox,
                eventName: E.eventName,
                queue: queue,
                routeID: routeID,
                registryKey: key
            )
        }
        return (queue, key)
    }

    /// Removes a durable mailbox: it stops storing events, its consumers end, and everything its
    /// store keeps of it — events, dead letters, quarantined ranges — is deleted. Works whether or
    /// not this process declared it; a mailbox another process has open is refused.
    ///
    /// ```swift
    /// try bus.removeMailbox(.durable(name: "billing", directory: "/var/lib/shop"))
    /// ```
    ///
    /// - Throws: ``BusError/invalidName(_:)``; ``BusError/noDurableStore(mailbox:)``;
    ///   ``BusError/mailboxUnavailable(name:reason:)`` with ``StoreFailure/locked(path:)`` when
    ///   another process has it open, or the store's error.
    public func removeMailbox(_ mailbox: Mailbox) throws {
        let (name, store, key) = try resolve(mailbox)
        for declaredKey in [key, key + "\u{0}queue"] {
            if let declared = registrations.state.withLock({ $0.mailboxes.removeValue(forKey: declaredKey) }) {
                // Its record's cancel terminates the queue, which closes the store (and its lock).
                router.remove([declared.routeID])
            }
        }
        do {
            try store.backend.removeMailbox(named: name, context: storeContext)
        } catch {
            throw BusError.mailboxUnavailable(name: name, reason: StoreFailure(error))
        }
    }

    /// Deletes a durable mailbox's pending events and dead letters, for an operator; the mailbox
    /// stays (declared, it goes on storing events). Works whether or not this process declared
    /// it: declared here, the events waiting in its queue and its dead letters go (those in
    /// flight stay with their consumers and settle as usual); otherwise it is opened from its
    /// store, purged and closed — refused while another process has it open. A consumer group
    /// (PostgreSQL) deletes its events, leased ones included, and dead letters in one transaction.
    ///
    /// ```swift
    /// let report = try await bus.purgeMailbox(.durable(name: "billing", directory: "/var/lib/shop"))
    /// print("deleted \(report)")
    /// ```
    ///
    /// - Returns: how many pending events and dead letters were deleted.
    /// - Throws: ``BusError/invalidName(_:)``; ``BusError/noDurableStore(mailbox:)``;
    ///   ``BusError/mailboxUnavailable(name:reason:)`` with ``StoreFailure/locked(path:)`` when
    ///   another process has it open, the store's error, or for an in-memory mailbox.
    @discardableResult
    public func purgeMailbox(_ mailbox: Mailbox) async throws -> PurgeReport {
        guard case .durable = mailbox else {
            let name = mailbox.requestedName ?? "an unnamed mailbox"
            throw BusError.mailboxUnavailable(name: name, reason: .other(DurableOnly(mailbox: name)))
        }
        let (name, store, key) = try resolve(mailbox)
        do {
            if let declared = registrations.state.withLock({ $0.mailboxes[key] }) {
                let deleted = try await declared.queue.purge()
                return PurgeReport(pending: deleted.pending, deadLetters: deleted.deadLetters)
            }
            return try await store.backend.purgeMailbox(named: name, context: storeContext)
        } catch let error as BusError {
            throw error
        } catch {
            throw BusError.mailboxUnavailable(name: name, reason: StoreFailure(storageError: error))
        }
    }
}
