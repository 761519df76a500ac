import EventLog
import EventQueue
import Foundation

// Durable mailboxes in a shared store (``GroupStore``, PostgreSQL with the trait
// PostgresSupport) are consumer groups: declaring one routes every event of its type into the
// store, once for each group declared there; consumers claim from the store.
extension Bus {
    /// Declares the durable mailbox `mailbox` for events of type `E` without attaching a consumer:
    /// from now on every publish of `E` on this bus stores into it. A process that only
    /// publishes declares the mailboxes of its events this way at start-up, before it publishes.
    ///
    /// For a PostgreSQL consumer group (`.durable(name:store: .postgres(…))`), a publish stores
    /// one row for every group declared in the database for `E` — also groups this process
    /// never declared, and groups with no instance running.
    ///
    /// `dedup` is the mailbox's window (a mailbox-wide setting: a later `subscribe` or `consume`
    /// of a local mailbox that asks for a different one is refused with
    /// ``BusError/conflictingDeclaration(mailbox:setting:declared:requested:)``; for a consumer
    /// group it becomes the group's window in the store, and nil leaves the group's as it is).
    /// Each subscriber brings its own acknowledgement, retry and dead-letter policy.
    ///
    /// ```swift
    /// try await bus.declareMailbox(.durable(name: "billing", store: .postgres(client, schema: "shop")),
    ///                              for: OrderPlaced.self)
    /// ```
    ///
    /// - Throws: ``BusError/invalidName(_:)``, ``BusError/noDurableStore(mailbox:)``,
    ///   ``BusError/mailboxUnavailable(name:reason:)``, ``BusError/codec(_:)``,
    ///   ``BusError/queueTypeMismatch(queue:expected:actual:)``, ``BusError/shutDown``.
    public func declareMailbox<E: Event>(
        _ mailbox: Mailbox,
        for type: E.Type,
        dedup: DedupWindow? = nil,
        codec: (any EventCodec<E>)? = nil
    ) async throws {
        guard case .durable = mailbox else { return }
        let (_, store, _) = try resolve(mailbox)
        if store.backend.groups != nil {
            let (group, _, _) = try await declaredGroup(E.self, mailbox: mailbox, codec: codec)
            try await setDedup(dedup, of: group)
        } else {
            _ = try await declaredDurableQueue(
                E.self,
                mailbox: mailbox,
                routed: true,
                retry: .none,
                deadLetter: .keep,
                dedup: dedup,
                codec: codec
            )
        }
    }

    /// Publishes an event with an ordering key: in a consumer group (a durable mailbox in a
    /// PostgreSQL store), events with the same key are handled one at a time, in publish order, by
    /// whichever instance holds the key (a mailbox of this process delivers in publish order
    /// anyway). Otherwise as ``publish(_:priority:headers:correlationID:id:)``.
    ///
    /// ```swift
    /// try await bus.publish(OrderPlaced(id: 7), orderingKey: "customer-42")
    /// ```
    @discardableResult
    public nonisolated(nonsending) func publish<E: Event>(
        _ event: E,
        orderingKey: String,
        priority: Priority = .normal,
        headers: [String: String] = [:],
        correlationID: String? = nil,
        id: EventID? = nil
    ) async throws -> PublishReport {
        let metadata = newMetadata(
            orderingKey: orderingKey,
            priority: priority,
            headers: headers,
            correlationID: correlationID,
            id: id
        )
        return try await publish(event, metadata: metadata)
    }

    /// The metadata of a new publish, as ``publish(_:priority:headers:correlationID:id:)`` makes
    /// it (written out there: it is the inlined hot path), with an ordering key.
    func newMetadata(
        orderingKey: String?,
        priority: Priority,
        headers: [String: String],
        correlationID: String?,
        id: EventID?
    ) -> EventMetadata {
        EventMetadata(
            id: id ?? ids.next(),
            publishedAt: Date(),
            priority: priority,
            headers: headers,
            correlationID: correlationID ?? EventContext.inheritedCorrelationID,
            attempt: 1,
            orderingKey: orderingKey
        )
    }

    /// Whether `mailbox` is a consumer group in a shared store.
    func isGroup(_ mailbox: Mailbox) -> Bool {
        guard case .durable(_, let named, _) = mailbox, let store = named ?? configuration.durableStore else {
            return false
        }
        return store.backend.groups != nil
    }

    /// The group `mailbox` as this process declared it, declaring it now (in the store, and as a
    /// route of `E`) when it has not; with the envelope codec its consumers decode with.
    func declaredGroup<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox,
        codec: (any EventCodec<E>)?
    ) async throws -> (group: GroupMailbox, codec: EnvelopeCodec<E>, key: UInt64) {
        let (name, store, path) = try resolve(mailbox)
        guard let groups = store.backend.groups else { preconditionFailure("not a group store") }
        let eventCodec = try storedCodec(codec, for: E.self)
        let envelopes = EnvelopeCodec(codec: eventCodec)
        if let declared = registrations.state.withLock({ $0.mailboxes[path] }) {
            guard let group = declared.queue as? GroupMailbox, declared.eventName == E.eventName else {
                throw BusError.queueTypeMismatch(queue: name, expected: declared.eventName, actual: E.eventName)
            }
            return (group, envelopes, declared.registryKey)
        }
        if router.isShutDown { throw BusError.shutDown }
        do {
            try await groups.declare(group: name, eventName: E.eventName)
        } catch {
            throw BusError.mailboxUnavailable(name: name, reason: StoreFailure(groups.failure(error)))
        }
        let group = GroupMailbox(name: name, eventName: E.eventName, store: groups)
        let factory = ExactFactory<E>(
            strategy: .mailbox,
            deliver: { event, metadata in
                await Bus.storeInGroups(groups, [Envelope(event: event, metadata: metadata)], envelopes, delay: nil)[0]
            },
            durable: DurableHooks<E>(
                mailbox: name,
                schedule: { event, metadata, due in
                    let delay = max(.zero, due - ContinuousClock.now)
                    return await Bus.storeInGroups(
                        groups,
                        [Envelope(event: event, metadata: metadata)],
                        envelopes,
                        delay: delay
                    )[0]
                },
                store: { items in
                    let batch = items.map { item in
                        unsafeDowncast(item.element, to: ElementBox<Envelope<E>>.self).value
                    }
                    return await Bus.storeInGroups(groups, batch, envelopes, delay: nil)
                }
            )
        )
        let key = registry.add(group, kind: .group, deadLetters: .group(group))
        let routeID: UInt64
        do {
            routeID = try router.add(target: .exact(ObjectIdentifier(E.self)), strategy: .mailbox, factory: factory) {
                [weak self] in
                // Removed or shut down: its consumers stop at once; what is not acknowledged stays in
                // the store (a shutdown drained it first).
                group.terminate(releasingInFlight: true)
                self?.registry.remove(key)
                _ = self?.registrations.state.withLock { $0.mailboxes.removeValue(forKey: path) }
            }
        } catch {
            registry.remove(key)
            throw error
        }
        registrations.state.withLock { state in
            state.mailboxes[path] = DeclaredMailbox(
                name: name,
                mailbox: mailbox,
                eventName: E.eventName,
                queue: group,
                routeID: routeID,
                registryKey: key
            )
        }
        return (group, envelopes, key)
    }

    /// Stores envelopes in every group declared for their type, all or none (one transaction);
    /// one result per envelope.
    static func storeInGroups<E: Event>(
        _ groups: any GroupStore,
        _ envelopes: [Envelope<E>],
        _ codec: EnvelopeCodec<E>,
        delay: Duration?
    ) async -> [DeliveryResult] {
        var records: [GroupRecord] = []
        records.reserveCapacity(envelopes.count)
        do {
            // One batch encoder for the batch: state worth keeping from one event to the next
            // (the JSON writer, an encrypting codec's derived key) is kept.
            let encode = codec.batchEncoder()
            for envelope in envelopes {
                var body: [UInt8] = []
                try encode(envelope, &body)
                records.append(
                    GroupRecord(
                        eventName: E.eventName,
                        id: envelope.metadata.id.description,
                        body: body,
                        priority: envelope.metadata.priority,
                        delay: delay,
                        orderingKey: envelope.metadata.orderingKey,
                        schemaVersion: E.schemaVersion
                    )
                )
            }
        } catch {
            return Array(repeating: .notStored(.unencodable(error)), count: envelopes.count)
        }
        do {
            try await groups.store(records)
            return Array(repeating: .enqueued(.enqueued), count: envelopes.count)
        } catch {
            return Array(repeating: .notStored(StoreFailure(groups.failure(error))), count: envelopes.count)
        }
    }
}
