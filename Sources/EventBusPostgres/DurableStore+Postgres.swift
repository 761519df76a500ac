#if PostgresSupport
    import EventBus
    import PostgresNIO

    extension DurableStore {
        /// Durable mailboxes as consumer groups in PostgreSQL (trait `PostgresSupport`): each
        /// mailbox is a group named like it, shared by every process that declares it. A publish
        /// stores one row per group declared for the event's type, in one transaction; the
        /// instances of a group compete for its rows (each event is handled by one instance of
        /// each group); leases, fenced acknowledgements, retries and dead letters live in the
        /// database. Consume a group with `bus.consume(_:mailbox:…)`.
        ///
        /// ```swift
        /// let shared = DurableStore.postgres(client, schema: "shop")   // once per process
        /// try await bus.consume(OrderPlaced.self, mailbox: .durable(name: "billing", store: shared)) { order in
        ///     try await bill(order)
        /// }
        /// ```
        ///
        /// Make the store once per process and schema and share it: its consumers share one LISTEN
        /// connection. The client must be running (`client.run()`); TLS and credentials are the
        /// client's configuration, never logged by the store. Tables are made (and migrated) in
        /// `schema` when the first mailbox is declared. See Documentation/ScaleOut.md.
        ///
        /// - Parameters:
        ///   - client: the postgres-nio client, running.
        ///   - schema: the schema of the tables: `[a-z_][a-z0-9_]{0,39}` (checked when a mailbox
        ///     is declared: ``PostgresStoreError/invalidSchema(_:)``).
        ///   - options: batch size, lease, polling, NOTIFY and LISTEN.
        public static func postgres(
            _ client: PostgresClient,
            schema: String = "eventbus",
            options: PostgresStoreOptions = PostgresStoreOptions()
        ) -> DurableStore {
            DurableStore(PostgresGroupStore(client: client, schema: schema, options: options))
        }
    }
#endif
