import EventLog
import EventQueue

// `subscribe` and point-to-point queues on a shared store (a PostgreSQL mailbox): a queue of
// this process holds what it claimed from the store (Architecture.md, "The bus across instances").
extension Bus {
    /// The shared queue of consumer group `mailbox` in this process, declaring the group first
    /// when this process has not; `dedup`, when given, becomes the group's window.
    func groupQueue<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox,
        dedup: DedupWindow?,
        codec: (any EventCodec<E>)?
    ) async throws -> (WorkQueue<Envelope<E>>, UInt64) {
        let (group, envelopes, key) = try await declaredGroup(E.self, mailbox: mailbox, codec: codec)
        try await setDedup(dedup, of: group)
        return (try await group.sharedQueue(of: E.self, codec: envelopes, clock: clock), key)
    }

    /// The stored queue `mailbox` of a shared store (its rows: the group `queue:<name>`), as a
    /// shared queue of this process, declared in the store and here when it was not.
    /// - Throws: ``BusError/queueTypeMismatch(queue:expected:actual:)`` when the store has it for
    ///   another event type; ``BusError/mailboxUnavailable(name:reason:)`` when the store cannot
    ///   be reached.
    func storedQueue<E: Event>(
        _ type: E.Type,
        mailbox: Mailbox,
        codec: (any EventCodec<E>)?
    ) async throws -> (WorkQueue<Envelope<E>>, UInt64) {
        let (name, store, path) = try resolve(mailbox)
        guard let groups = store.backend.groups else { preconditionFailure("not a shared store") }
        let stored = "queue:" + name
        let key = path + "\u{0}queue"
        let envelopes = EnvelopeCodec(codec: try storedCodec(codec, for: E.self))
        if let declared = registrations.state.withLock({ $0.mailboxes[key] }) {
            guard let group = declared.queue as? GroupMailbox, declared.eventName == E.eventName else {
                throw BusError.queueTypeMismatch(queue: name, expected: declared.eventName, actual: E.eventName)
            }
            return (try await group.sharedQueue(of: E.self, codec: envelopes, clock: clock), declared.registryKey)
        }
        if router.isShutDown { throw BusError.shutDown }
        let carried: String
        do {
            carried = try await groups.declare(queue: stored, eventName: E.eventName)
        } catch {
            throw BusError.mailboxUnavailable(name: name, reason: StoreFailure(groups.failure(error)))
        }
        guard carried == E.eventName else {
            throw BusError.queueTypeMismatch(queue: name, expected: carried, actual: E.eventName)
        }
        let group = GroupMailbox(name: stored, eventName: E.eventName, store: groups)
        let registryKey = registry.add(group, kind: .pointToPoint, deadLetters: .group(group))
        let routeID: UInt64
        do {
            // Not routed by type (only `send` reaches it): kept for removal and shutdown.
            routeID = try router.add(target: .detached, strategy: .pointToPoint, factory: DetachedFactory()) {
                [weak self] in
                group.terminate(releasingInFlight: true)
                self?.registry.remove(registryKey)
                _ = self?.registrations.state.withLock { $0.mailboxes.removeValue(forKey: key) }
            }
        } catch {
            registry.remove(registryKey)
            throw error
        }
        registrations.state.withLock { state in
            state.mailboxes[key] = DeclaredMailbox(
                name: stored,
                // A queue, not a mailbox: not purged or removed by name.
                mailbox: nil,
                eventName: E.eventName,
                queue: group,
                routeID: routeID,
                registryKey: registryKey
            )
        }
        return (try await group.sharedQueue(of: E.self, codec: envelopes, clock: clock), registryKey)
    }

    /// Makes `dedup` the group's window in its store (nil: leaves the group's as it is).
    /// - Throws: ``BusError/mailboxUnavailable(name:reason:)`` when the store cannot be reached.
    func setDedup(_ dedup: DedupWindow?, of group: GroupMailbox) async throws {
        guard let dedup else { return }
        do {
            try await group.store.setDedup(group: group.name, window: dedup)
        } catch {
            throw BusError.mailboxUnavailable(name: group.name, reason: StoreFailure(group.store.failure(error)))
        }
    }

    /// Records that point-to-point queue `queue` is stored in `mailbox`'s shared store, for a
    /// `send` inside the caller's transaction.
    func recordStoredQueue<E: Event>(
        _ queue: String,
        for type: E.Type,
        mailbox: Mailbox,
        codec: (any EventCodec<E>)?
    ) throws {
        guard case .durable(let name, _, _) = mailbox, let groups = groupStore(of: mailbox) else { return }
        let target = StoredQueueTarget(
            store: groups,
            group: "queue:" + name,
            eventName: E.eventName,
            codec: EnvelopeCodec(codec: try storedCodec(codec, for: E.self))
        )
        registrations.state.withLock { $0.storedQueues[queue] = target }
    }

    /// The record a `send` to stored queue `queue` writes, with its metadata made as `send` makes
    /// it, and where to write it; nil when `queue` is not stored in a shared store here.
    /// - Throws: ``BusError/shutDown``, ``BusError/queueTypeMismatch(queue:expected:actual:)``,
    ///   the codec's error.
    package func storedQueueRecord<E: Event>(
        _ event: E,
        to queue: String,
        orderingKey: String?,
        priority: Priority,
        headers: [String: String],
        id: EventID?
    ) throws -> (store: any GroupStore, group: String, record: GroupRecord)? {
        if router.isShutDown { throw BusError.shutDown }
        guard let target = registrations.state.withLock({ $0.storedQueues[queue] }) else { return nil }
        guard target.eventName == E.eventName, let codec = target.codec as? EnvelopeCodec<E> else {
            throw BusError.queueTypeMismatch(queue: queue, expected: target.eventName, actual: E.eventName)
        }
        let metadata = newMetadata(
            orderingKey: orderingKey,
            priority: priority,
            headers: headers,
            correlationID: nil,
            id: id
        )
        let record = GroupRecord(
            eventName: E.eventName,
            id: metadata.id.description,
            body: try codec.encode(Envelope(event: event, metadata: metadata)),
            priority: priority,
            delay: nil,
            orderingKey: orderingKey,
            schemaVersion: E.schemaVersion
        )
        return (target.store, target.group, record)
    }
}
