import EventLog
import EventQueue

// Dead letters by mailbox, whatever their type: the one API behind `eventbus dump`, the
// dashboard and the typed `deadLetters()` of a consumer.
extension Bus {
    /// The dead letters of a mailbox, oldest first (at most `limit`), as its store keeps them:
    /// with their bodies as stored, the reason, attempts and time. Records that never decoded —
    /// another event type, a newer schema version, a missing key, a damaged body — are listed
    /// with the others.
    ///
    /// - A durable mailbox declared in this process: its dead letters (the body as its codec
    ///   writes the event) and the records it could not read when it opened (as stored).
    /// - A durable mailbox this process has not declared: read from its store — a local log is
    ///   read without its lock (so also while another process has it open), a consumer group
    ///   from its tables.
    /// - A mailbox in memory: name it (`.memory(name:)`, or the name its metrics show); each body
    ///   is the event's JSON when its type is `Codable`.
    ///
    /// ```swift
    /// for letter in try await bus.deadLetters(of: .durable(name: "billing", directory: dir)) {
    ///     print(letter.id, letter.eventName, letter.reason)
    /// }
    /// ```
    ///
    /// - Throws: ``BusError/noSuchMailbox(_:)`` for a mailbox in memory this bus does not have;
    ///   ``BusError/invalidName(_:)``, ``BusError/noDurableStore(mailbox:)``;
    ///   ``BusError/mailboxUnavailable(name:reason:)`` when the store cannot be read.
    public func deadLetters(of mailbox: Mailbox, limit: Int? = nil) async throws -> [StoredDeadLetter] {
        switch try deadLetterSource(mailbox) {
        case .registered(let access):
            return try await access.list(limit)
        case .store(let name, let store):
            do {
                return try await store.backend.deadLetters(ofMailbox: name, limit: limit, context: storeContext)
            } catch {
                throw BusError.mailboxUnavailable(
                    name: name,
                    reason: StoreFailure(store.backend.groups?.failure(error) ?? error)
                )
            }
        }
    }

    /// Puts dead letters of a mailbox back (all, or those with the given ids; ids that are not
    /// its dead letters are ignored), their attempts reset; how many.
    ///
    /// In a mailbox declared in this process, the dead letters it could decode go back to its
    /// queue; records it could not read stay (no process that cannot read them can deliver
    /// them: requeue them from one that can, or with `eventbus requeue`). A local mailbox this
    /// process has not declared is opened for the requeue (refused while another process has it
    /// open); whoever opens it next delivers the events, or dead-letters again what it cannot
    /// read. A consumer group's dead letters go back to the group, for any instance to claim.
    ///
    /// - Throws: as ``deadLetters(of:limit:)``, and ``BusError/notRecorded(mailbox:cause:)`` when
    ///   the store could not record the requeue.
    @discardableResult
    public func requeueDeadLetters(of mailbox: Mailbox, ids: Set<EventID>? = nil) async throws -> Int {
        switch try deadLetterSource(mailbox) {
        case .registered(let access):
            return try await access.requeue(ids)
        case .store(let name, let store):
            do {
                return try await store.backend.requeueDeadLetters(ofMailbox: name, ids: ids, context: storeContext)
            } catch let failure as StoreFailure {
                if case .locked = failure { throw BusError.mailboxUnavailable(name: name, reason: failure) }
                throw BusError.notRecorded(mailbox: name, cause: failure)
            } catch {
                throw BusError.notRecorded(
                    mailbox: name,
                    cause: StoreFailure(store.backend.groups?.failure(error) ?? error)
                )
            }
        }
    }

    /// The dead letters of the mailbox of this bus named `name` — the name its metrics show
    /// (``QueueMetrics/name``): a mailbox or queue in memory, a declared durable mailbox, a
    /// consumer group. As ``deadLetters(of:limit:)``.
    /// - Throws: ``BusError/noSuchMailbox(_:)`` when no such mailbox keeps dead letters.
    public func deadLetters(ofMailboxNamed name: String, limit: Int? = nil) async throws -> [StoredDeadLetter] {
        guard let access = registry.deadLetters(named: name) else { throw BusError.noSuchMailbox(name) }
        return try await access.list(limit)
    }

    /// Requeues dead letters of the mailbox of this bus named `name`, as
    /// ``requeueDeadLetters(of:ids:)``; how many.
    /// - Throws: ``BusError/noSuchMailbox(_:)``, ``BusError/notRecorded(mailbox:cause:)``.
    @discardableResult
    public func requeueDeadLetters(ofMailboxNamed name: String, ids: Set<EventID>? = nil) async throws -> Int {
        guard let access = registry.deadLetters(named: name) else { throw BusError.noSuchMailbox(name) }
        return try await access.requeue(ids)
    }

    /// Where a mailbox's dead letters are: a queue or group this bus registered, or a store.
    private enum DeadLetterSource {
        case registered(DeadLetterAccess)
        case store(name: String, DurableStore)
    }

    private func deadLetterSource(_ mailbox: Mailbox) throws(BusError) -> DeadLetterSource {
        switch mailbox {
        case .memory(_, let name):
            guard let name, let access = registry.deadLetters(named: name) else {
                throw .noSuchMailbox(name ?? "(unnamed in-memory mailbox)")
            }
            return .registered(access)
        case .durable:
            let (name, store, key) = try resolve(mailbox)
            if let declared = registrations.state.withLock({ $0.mailboxes[key] }),
                let access = registry.deadLetters(key: declared.registryKey)
            {
                return .registered(access)
            }
            return .store(name: name, store)
        }
    }
}
