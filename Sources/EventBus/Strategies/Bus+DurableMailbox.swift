import EventQueue

/// A durable mailbox declared in this process: it stores every event of its type, whether or not
/// a consumer is attached, until it is removed or the bus shuts down.
struct DeclaredMailbox: Sendable {
    /// The mailbox's name.
    let name: String
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
    /// The key under which a durable mailbox is declared: its directory, as the file log makes it.
    static func mailboxPath(name: String, directory: String) -> String {
        let root = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        return root + "/" + name
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
        guard case .durable(let name, let directory, _, _) = mailbox else {
            preconditionFailure("attachDurable takes a durable mailbox")
        }
        try BusError.validate(name: name)
        let path = Self.mailboxPath(name: name, directory: directory)
        let queue: WorkQueue<Envelope<E>>
        let key: UInt64
        if let declared = services.state.withLock({ $0.mailboxes[path] }) {
            guard let typed = declared.queue as? WorkQueue<Envelope<E>> else {
                throw BusError.queueTypeMismatch(queue: name, expected: declared.eventName, actual: E.eventName)
            }
            (queue, key) = (typed, declared.registryKey)
        } else {
            (queue, key) = try await declareDurable(
                E.self,
                mailbox: mailbox,
                path: path,
                retry: retry,
                deadLetter: deadLetter,
                dedup: dedup,
                codec: codec
            )
        }
        // The consumer's own record: cancelling it wakes the consumer, and the mailbox goes on.
        let consumerID = try router.add(target: .consumer, strategy: .mailbox, factory: DetachedFactory()) {
            queue.interruptConsumers()
        }
        return Deliveries(
            queue: queue,
            lifetime: SubscriptionLifetime(Subscription(ids: [consumerID], router: router, strategy: .mailbox)),
            automatic: acknowledgement == .automatic,
            registryKey: key
        )
    }

    /// Opens a durable mailbox, recovers it, and routes every event of type `E` into it.
    private func declareDurable<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox,
        path: String,
        retry: RetryPolicy,
        deadLetter: DeadLetterPolicy,
        dedup: DedupWindow?,
        codec: (any EventCodec<E>)?
    ) async throws -> (WorkQueue<Envelope<E>>, UInt64) {
        guard let storage = try durableStorage(for: E.self, mailbox: mailbox, codec: codec) else {
            preconditionFailure("a durable mailbox has storage")
        }
        // Durable mailboxes always track deliveries: an event stays on disk until acknowledged.
        let settings = queueConfiguration(
            capacity: mailbox.capacity,
            acknowledgement: .manual(visibilityTimeout: nil),
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup
        )
        let queue: WorkQueue<Envelope<E>>
        do {
            queue = try await WorkQueue.open(name: storage.name, configuration: settings, storage: storage)
        } catch {
            storage.close()
            throw BusError.mailboxUnavailable(name: storage.name, reason: StoreFailure(storageError: error))
        }
        let hooks = DurableHooks<E>(
            mailbox: queue.name,
            schedule: { event, metadata, due in
                await Bus.schedule(queue, Envelope(event: event, metadata: metadata), at: due)
            },
            store: { items in await Bus.store(queue, items) }
        )
        let overflow = mailbox.capacity.overflowPolicy
        let factory = ExactFactory<E>(
            strategy: .mailbox,
            deliver: { event, metadata in
                await Bus.offer(queue, Envelope(event: event, metadata: metadata), overflow: overflow)
            },
            durable: hooks
        )
        let key = registry.add(queue)
        let routeID: UInt64
        do {
            routeID = try router.add(target: .exact(ObjectIdentifier(E.self)), strategy: .mailbox, factory: factory) {
                [weak self] in
                // Removed or shut down: what is not acknowledged stays on disk for the next open.
                queue.terminate(releasingInFlight: true)
                self?.registry.remove(key)
                _ = self?.services.state.withLock { $0.mailboxes.removeValue(forKey: path) }
            }
        } catch {
            registry.remove(key)
            queue.terminate(releasingInFlight: true)
            throw error
        }
        services.state.withLock { state in
            state.mailboxes[path] = DeclaredMailbox(
                name: queue.name,
                eventName: E.eventName,
                queue: queue,
                routeID: routeID,
                registryKey: key
            )
        }
        return (queue, key)
    }

    /// Removes a durable mailbox: it stops storing events, its consumers end, and its files —
    /// events, dead letters, quarantined ranges — are deleted. Works whether or not this process
    /// declared it; a mailbox another process has open is refused.
    ///
    /// - Throws: ``BusError/invalidName(_:)``; ``BusError/mailboxUnavailable(name:reason:)`` with
    ///   ``StoreFailure/locked(path:)`` when another process has it open, or the I/O error.
    public func removeMailbox(named name: String, directory: String) throws {
        try BusError.validate(name: name)
        let path = Self.mailboxPath(name: name, directory: directory)
        if let declared = services.state.withLock({ $0.mailboxes.removeValue(forKey: path) }) {
            // Its record's cancel terminates the queue, which closes the log and its lock.
            router.remove([declared.routeID])
        }
        do {
            try FileLog<[UInt8]>.removeMailbox(directory: directory, name: name, fileSystem: configuration.fileSystem)
        } catch {
            throw BusError.mailboxUnavailable(name: name, reason: error)
        }
    }

    /// Opens the file log behind a durable mailbox (nil for in-memory mailboxes).
    func durableStorage<E: Event>(
        for type: E.Type,
        mailbox: Mailbox,
        codec: (any EventCodec<E>)?
    )
        throws -> FileLog<Envelope<E>>?
    {
        guard case .durable(let name, let directory, let sync, _) = mailbox else { return nil }
        if router.isShutDown { throw BusError.shutDown }
        let eventCodec: any EventCodec<E>
        if let codec {
            eventCodec = codec
        } else if let json = openedJSONCodec(for: E.self) {
            eventCodec = json
        } else {
            throw BusError.codec(.noCodec(eventName: E.eventName))
        }
        do {
            return try FileLog(
                directory: directory,
                name: name,
                sync: sync,
                codec: EnvelopeCodec(codec: eventCodec),
                options: configuration.durableOptions,
                fileSystem: configuration.fileSystem,
                inlineSyncs: inlineSyncs
            )
        } catch {
            throw BusError.mailboxUnavailable(name: name, reason: error)
        }
    }

}
