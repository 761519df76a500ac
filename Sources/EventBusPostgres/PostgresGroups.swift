#if PostgresSupport
    import EventBus
    import EventLog
    import PostgresNIO

    /// Operations on the consumer groups of one schema, from any process: what is declared and
    /// pending, dead letters, requeue, purge, remove. (The bus's own handle for a group is the
    /// `Consumer` that `bus.consume` returns.)
    public struct PostgresGroups: Sendable {
        let store: PostgresGroupStore

        /// The groups of `schema`, through `client` (running). `options` bound each operation
        /// (``PostgresStoreOptions/operationTimeout``: raise it for a purge or removal of a large
        /// group) and name the server in errors (``PostgresStoreOptions/server``); LISTEN is never
        /// used here.
        public init(_ client: PostgresClient, schema: String = "eventbus", options: PostgresStoreOptions = .init()) {
            var options = options
            options.listen = false
            store = PostgresGroupStore(client: client, schema: schema, options: options)
        }

        /// Applies the schema's migrations (idempotent; consumers and publishers also do at
        /// their first declaration). - Returns: the schema's version.
        @discardableResult
        public func migrate() async throws -> Int {
            let schema = try store.schema()
            return try await schema.migrate(store)
        }

        /// The version ``migrate()`` brings a schema to: how many migrations this build has.
        public static var latestVersion: Int { PostgresSchema.latestVersion }

        /// The version of the migrations applied to the schema, without applying any (the other
        /// operations apply them first); nil when the schema was never migrated (no group was ever
        /// declared in it).
        /// - Throws: ``PostgresStoreError/invalidSchema(_:)``, or postgres-nio's errors.
        public func schemaVersion() async throws -> Int? {
            try await store.schema().appliedVersion(store)
        }

        /// Every declared group and the event names it takes, sorted.
        public func declared() async throws -> [(group: String, eventName: String)] {
            let schema = try await store.prepare()
            let logger = store.logger
            let result = try await store.run("list the declared groups") { connection in
                let rows = try await connection.query(
                    "SELECT group_name, event_name FROM \(unescaped: schema.groups) ORDER BY 1, 2",
                    logger: logger
                )
                var result: [Declared] = []
                for try await (group, eventName) in rows.decode((String, String).self) {
                    result.append(Declared(group: group, eventName: eventName))
                }
                return result
            }.map { (group: $0.group, eventName: $0.eventName) }
            return result
        }

        /// Events of `group` not yet acknowledged (visible, delayed or leased).
        public func pending(group: String) async throws -> Int {
            let schema = try await store.prepare()
            return try await scalar(
                "count the pending events of group \(group)",
                """
                SELECT count(*)::bigint FROM \(unescaped: schema.deliveries)
                WHERE group_name = \(group) AND acked_at IS NULL
                """
            )
        }

        /// The dead letters of `group`, oldest first.
        public func deadLetters(group: String) async throws -> [PostgresDeadLetter] {
            let schema = try await store.prepare()
            let logger = store.logger
            let letters = try await store.run("list the dead letters of group \(group)") { connection in
                let rows = try await connection.query(
                    """
                    SELECT event_id, event_name, attempts, reason FROM \(unescaped: schema.deadLetters)
                    WHERE group_name = \(group) ORDER BY dead_at, event_id
                    """,
                    logger: logger
                )
                var letters: [PostgresDeadLetter] = []
                for try await (id, eventName, attempts, reason) in rows.decode((String, String, Int32, String).self) {
                    letters.append(
                        PostgresDeadLetter(
                            group: group,
                            eventID: id,
                            eventName: eventName,
                            attempts: Int(attempts),
                            reason: DeadLetterReason(storedText: reason).description
                        )
                    )
                }
                return letters
            }
            return letters
        }

        /// Sets (or, with nil, removes) `group`'s dedup window: how long, or for how many ids, it
        /// remembers the ids it acknowledged, so that a publish of the same id within it is not
        /// stored again. A consumer or declaration that names a window sets it too; one that
        /// names none leaves it as it is.
        public func setDedup(group: String, window: DedupWindow?) async throws {
            try await store.setDedup(group: group, window: window)
        }

        /// The dead letters of `group` as the bus lists them (`Bus/deadLetters(of:limit:)`):
        /// name, schema version, codec, headers, reason and the body as stored (an encrypted
        /// body stays encrypted); oldest first, at most `limit`.
        public func storedDeadLetters(group: String, limit: Int? = nil) async throws -> [StoredDeadLetter] {
            try await store.storedDeadLetters(group: group, limit: limit)
        }

        /// Moves dead letters of `group` back (all, or those with the given ids), attempts reset.
        /// - Returns: how many.
        @discardableResult
        public func requeue(group: String, ids: [String]? = nil) async throws -> Int {
            try await store.requeueDeadLetters(group: group, ids: ids)
        }

        /// Deletes the pending events and dead letters of `group`, in one transaction; the group
        /// stays declared, so publishes go on storing events for it.
        /// - Returns: how many pending events and dead letters were deleted.
        @discardableResult
        public func purge(group: String) async throws -> (pending: Int, deadLetters: Int) {
            let deleted = try await store.purge(group: group)
            return (deleted.pending, deleted.deadLetters)
        }

        /// Removes `group`: it is no longer declared (publishes stop storing for it), and its
        /// pending events, dead letters and remembered ids (its dedup window) are deleted. Stop its
        /// consumers first.
        /// - Returns: how many pending events and dead letters were deleted.
        @discardableResult
        public func remove(group: String) async throws -> (pending: Int, deadLetters: Int) {
            let schema = try await store.prepare()
            // Undeclared first, so that no publish stores for it while it is purged.
            try await store.execute(
                "undeclare group \(group)",
                "DELETE FROM \(unescaped: schema.groups) WHERE group_name = \(group)"
            )
            let purged = try await purge(group: group)
            // And the ids it remembered for its dedup window.
            try await store.execute(
                "forget the acknowledged ids of group \(group)",
                "DELETE FROM \(unescaped: schema.acknowledged) WHERE group_name = \(group)"
            )
            return purged
        }

        /// Returns expired leases to their groups now (consumers also do when idle). - Returns: how many.
        @discardableResult
        public func reapExpiredLeases() async throws -> Int {
            _ = try await store.prepare()
            return try await store.reapExpiredLeases()
        }

        private func scalar(_ operation: String, _ query: PostgresQuery) async throws -> Int {
            let logger = store.logger
            return try await store.run(operation) { connection in
                var value = 0
                for try await count in try await connection.query(query, logger: logger).decode(Int64.self) {
                    value = Int(count)
                }
                return value
            }
        }

        /// A row of ``declared()``, Sendable across the bound.
        private struct Declared: Sendable {
            let group: String
            let eventName: String
        }
    }
#endif
