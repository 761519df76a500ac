#if PostgresSupport
    import EventBus
    import EventLog
    import EventQueue
    import PostgresNIO

    extension Bus {
        /// Publishes `event` to the consumer groups of a PostgreSQL store **inside your
        /// transaction** (a transactional outbox): its rows are written on `connection`, so they
        /// exist exactly when your own writes commit, and not at all when you roll back. The NOTIFY
        /// that wakes consumers goes out at commit too.
        ///
        /// ```swift
        /// import EventBusPostgres
        /// import PostgresNIO
        ///
        /// func place(_ order: OrderPlaced, bus: Bus, client: PostgresClient, shared: DurableStore, logger: Logger)
        ///     async throws
        /// {
        ///     try await client.withTransaction(logger: logger) { connection in
        ///         try await connection.query("INSERT INTO orders (id) VALUES (\(order.id))", logger: logger)
        ///         try await bus.publish(order, in: connection, store: shared)
        ///     }
        /// }
        /// ```
        ///
        /// It reaches the groups declared in the store for `E` (by any instance), as
        /// `Bus/publish(_:priority:headers:correlationID:id:)` would; it does **not** reach this
        /// process's observers, callbacks or in-memory mailboxes (the transaction may still roll
        /// back). The metadata is made and the middleware's `willPublish` runs as for any publish.
        ///
        /// - Parameters:
        ///   - event: the event.
        ///   - connection: the connection your transaction runs on (`client.withTransaction`).
        ///   - store: the PostgreSQL store (`DurableStore.postgres(…)`) whose groups get the event.
        ///   - orderingKey: events with one key are handled one at a time, in publish order.
        ///   - priority: the lane.
        ///   - headers: headers for the handlers.
        ///   - correlationID: the correlation id (default: the handled event's, inside a handler).
        ///   - id: the event's id (default: a new one); a group stores an id once.
        ///   - codec: the codec the groups' consumers decode with (default: JSON for `Codable`).
        /// - Returns: the event's id.
        /// - Throws: ``PostgresStoreError/notPostgres(_:)``, `BusError/shutDown`,
        ///   `BusError/codec(_:)`, and postgres-nio's errors (your transaction then rolls back).
        @discardableResult
        public func publish<E: Event>(
            _ event: E,
            in connection: PostgresConnection,
            store: DurableStore,
            orderingKey: String? = nil,
            priority: Priority = .normal,
            headers: [String: String] = [:],
            correlationID: String? = nil,
            id: EventID? = nil,
            codec: (any EventCodec<E>)? = nil
        ) async throws -> EventID {
            guard let postgres = store.backend.groups as? PostgresGroupStore else {
                throw PostgresStoreError.notPostgres("store \(store)")
            }
            return try await publishRecord(
                event,
                orderingKey: orderingKey,
                priority: priority,
                headers: headers,
                correlationID: correlationID,
                id: id,
                codec: codec
            ) { record in
                try await postgres.store([record], on: connection)
            }
        }

        /// Sends `event` to a point-to-point queue stored in PostgreSQL **inside your transaction**:
        /// its row is written on `connection`, so it exists exactly when your own writes commit;
        /// one consumer of the queue, on any instance, handles it after the commit.
        ///
        /// ```swift
        /// import EventBusPostgres
        /// import PostgresNIO
        ///
        /// func order(_ job: ResizeImage, bus: Bus, client: PostgresClient, logger: Logger) async throws {
        ///     try await client.withTransaction(logger: logger) { connection in
        ///         try await connection.query("INSERT INTO uploads (id) VALUES (\(job.id))", logger: logger)
        ///         try await bus.send(job, to: "thumbnails", in: connection)
        ///     }
        /// }
        /// ```
        ///
        /// The queue must be declared stored in this process first
        /// (`Bus/declareQueue(_:for:dispatch:capacity:mailbox:)`, or a `receive`, with
        /// `.durable(name:store: .postgres(…))`).
        ///
        /// - Returns: the event's id.
        /// - Throws: ``PostgresStoreError/notPostgres(_:)`` when `queue` is not stored in a
        ///   PostgreSQL store here; `BusError/shutDown`; `BusError/queueTypeMismatch(queue:expected:actual:)`;
        ///   the codec's and postgres-nio's errors (your transaction then rolls back).
        @discardableResult
        public func send<E: Event>(
            _ event: E,
            to queue: String,
            in connection: PostgresConnection,
            orderingKey: String? = nil,
            priority: Priority = .normal,
            headers: [String: String] = [:],
            id: EventID? = nil
        ) async throws -> EventID {
            guard
                let (store, group, record) = try storedQueueRecord(
                    event,
                    to: queue,
                    orderingKey: orderingKey,
                    priority: priority,
                    headers: headers,
                    id: id
                ),
                let postgres = store as? PostgresGroupStore
            else {
                throw PostgresStoreError.notPostgres(
                    "queue \(queue) (declare it with declareQueue(_:for:mailbox:) first)"
                )
            }
            try await postgres.enqueue(queue: group, records: [record], on: connection)
            return EventID(record.id) ?? EventID(high: 0, low: 0)
        }

        /// Consumes a consumer group of a PostgreSQL store with a handler that runs **inside a
        /// transaction**, and acknowledges the event in that same transaction: your writes and the
        /// acknowledgement commit together, or neither does. An event whose writes committed is
        /// never handled again — not after a crash, not after a lost lease.
        ///
        /// ```swift
        /// import EventBusPostgres
        /// import PostgresNIO
        ///
        /// func bill(bus: Bus, shared: DurableStore, logger: Logger) async throws {
        ///     try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "billing", store: shared)) {
        ///         order, connection in
        ///         try await connection.query("INSERT INTO invoices (order_id) VALUES (\(order.id))", logger: logger)
        ///     }
        /// }
        /// ```
        ///
        /// Throwing rolls the transaction back and counts as a failed attempt (retried per `retry`,
        /// then dead-lettered), as with `Bus/consume(_:mailbox:retry:deadLetter:dedup:codec:handler:)`.
        /// When the lease ran out before the commit (the handler took longer than the store's
        /// `lease` and another instance claimed the event), the transaction is rolled back and the
        /// next claimant handles the event: that is not an attempt.
        ///
        /// - Parameters:
        ///   - type: the event type.
        ///   - mailbox: a durable mailbox in a PostgreSQL store: the consumer group.
        ///   - retry: how failed attempts are retried.
        ///   - deadLetter: what happens after the last attempt.
        ///   - dedup: the group's window after acknowledgement (see `consume`).
        ///   - codec: how events are decoded (default: JSON for `Codable`).
        ///   - handler: your work, given the transaction's connection.
        /// - Returns: the `Consumer`.
        /// - Throws: ``PostgresStoreError/notPostgres(_:)`` when the mailbox is not in a PostgreSQL
        ///   store, and what `consume` throws.
        @discardableResult
        public func consume<E: Event>(
            _ type: E.Type,
            mailbox: Mailbox,
            retry: RetryPolicy = .none,
            deadLetter: DeadLetterPolicy = .keep,
            dedup: DedupWindow? = nil,
            codec: (any EventCodec<E>)? = nil,
            handler: @escaping @Sendable (E, PostgresConnection) async throws -> Void
        ) async throws -> Consumer<E> {
            guard let postgres = groupStore(of: mailbox) as? PostgresGroupStore else {
                guard case .durable(let name, _, _) = mailbox else {
                    throw PostgresStoreError.notPostgres("a mailbox in memory")
                }
                throw PostgresStoreError.notPostgres("mailbox \(name)")
            }
            let logger = postgres.logger
            let lease = postgres.options.lease
            return try await consumeGroup(
                E.self,
                mailbox: mailbox,
                retry: retry,
                deadLetter: deadLetter,
                dedup: dedup,
                codec: codec,
                acknowledgesInHandler: true
            ) { event in
                guard let claim = GroupClaim.current else {
                    preconditionFailure("a consumer group's loop runs its handlers with their claim")
                }
                // Bounded by the lease: past it the acknowledgement could not count anyway, and a
                // transaction stuck behind a dropped link is closed (the server rolls it back).
                // Rolled back, the handler's own error is the failure (or the lost lease); otherwise
                // BEGIN or COMMIT failed (the network's or the server's error).
                try await postgres.run("your transaction with the acknowledgement", timeout: lease) { connection in
                    try await connection.withTransaction(logger: logger) { connection in
                        try await handler(event, connection)
                        guard
                            try await postgres.acknowledge(
                                group: claim.group,
                                id: claim.id,
                                owner: claim.owner,
                                on: connection
                            )
                        else { throw GroupClaimLost(group: claim.group) }
                    }
                }
            }
        }
    }
#endif
