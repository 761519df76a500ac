#if PostgresSupport
    import PostgresNIO

    /// The tables of one schema the user names, and the versioned migrations that make them.
    ///
    /// The schema's name is the one identifier written into statements (quoted, and only after
    /// it passed ``validate(_:)``); every value — group and event names, ids, bodies — is bound.
    struct PostgresSchema: Sendable, Hashable {
        /// The schema's name: `[a-z_][a-z0-9_]{0,39}`.
        let name: String

        /// Checks the name.
        /// - Throws: ``PostgresStoreError/invalidSchema(_:)``.
        init(validating name: String) throws {
            guard Self.isValid(name) else { throw PostgresStoreError.invalidSchema(name) }
            self.name = name
        }

        private init(unchecked name: String) {
            self.name = name
        }

        /// The version ``migrate(_:logger:)`` brings a schema to: how many migrations this build has.
        static var latestVersion: Int { PostgresSchema(unchecked: "eventbus").steps.count }

        /// Whether `name` is a lowercase identifier of at most 40 characters.
        static func isValid(_ name: String) -> Bool {
            let bytes = Array(name.utf8)
            guard let first = bytes.first, bytes.count <= 40 else { return false }
            func letter(_ byte: UInt8) -> Bool { (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F }
            func digit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
            return letter(first) && bytes.allSatisfy { letter($0) || digit($0) }
        }

        /// `"name"`.
        var quoted: String { "\"\(name)\"" }
        /// The table of declared groups: (group, event name).
        var groups: String { "\(quoted).groups" }
        /// One row per (group, event) not yet acknowledged.
        var deliveries: String { "\(quoted).deliveries" }
        /// Events that exhausted their attempts, per group.
        var deadLetters: String { "\(quoted).dead_letters" }
        /// The ids each group with a dedup window acknowledged within it.
        var acknowledged: String { "\(quoted).acknowledged" }
        /// The migrations applied.
        var migrations: String { "\(quoted).migrations" }
        /// Stored point-to-point queues: (queue, event name). Their rows are in `deliveries`
        /// under the group name `queue:<name>`.
        var queues: String { "\(quoted).queues" }
        /// Responders of request types, by instance, with their heartbeat.
        var responders: String { "\(quoted).responders" }
        /// Notification payloads past NOTIFY's limit, read by reference and pruned.
        var messages: String { "\(quoted).messages" }
        /// The NOTIFY channel of broadcasts of this schema.
        var broadcastChannel: String { "eventbus_\(name)_b" }
        /// The NOTIFY channel of the schema's groups (the payload names the group).
        var channel: String { "eventbus_\(name)" }

        /// The migrations, in order; version n is `migrations[n - 1]`. Never edit one that has
        /// shipped: add the next.
        var steps: [[String]] {
            [
                [
                    """
                    CREATE TABLE \(groups) (
                        group_name text NOT NULL,
                        event_name text NOT NULL,
                        declared_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (group_name, event_name))
                    """,
                    "CREATE INDEX groups_by_event ON \(groups) (event_name)",
                    """
                    CREATE TABLE \(deliveries) (
                        group_name text NOT NULL,
                        event_id text NOT NULL,
                        event_name text NOT NULL,
                        body bytea NOT NULL,
                        priority smallint NOT NULL DEFAULT 1,
                        seq bigserial NOT NULL,
                        visible_at timestamptz NOT NULL DEFAULT now(),
                        attempts integer NOT NULL DEFAULT 0,
                        claims integer NOT NULL DEFAULT 0,
                        lease_owner text,
                        lease_expires_at timestamptz,
                        last_error text,
                        enqueued_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (group_name, event_id))
                    """,
                    "CREATE INDEX deliveries_claim ON \(deliveries) (group_name, priority, seq)",
                    """
                    CREATE INDEX deliveries_leases ON \(deliveries) (lease_expires_at)
                        WHERE lease_owner IS NOT NULL
                    """,
                    // Rows are deleted on acknowledgement: vacuum the table early and often.
                    """
                    ALTER TABLE \(deliveries) SET (autovacuum_vacuum_scale_factor = 0.02,
                        autovacuum_vacuum_threshold = 500, autovacuum_analyze_scale_factor = 0.05)
                    """,
                    """
                    CREATE TABLE \(deadLetters) (
                        group_name text NOT NULL,
                        event_id text NOT NULL,
                        event_name text NOT NULL,
                        body bytea NOT NULL,
                        priority smallint NOT NULL,
                        attempts integer NOT NULL,
                        reason text NOT NULL,
                        dead_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (group_name, event_id))
                    """,
                ],
                // 2: ordering keys (one claimant per key at a time, in publish order).
                [
                    "ALTER TABLE \(deliveries) ADD COLUMN ordering_key text",
                    "ALTER TABLE \(deadLetters) ADD COLUMN ordering_key text",
                    """
                    CREATE INDEX deliveries_ordering_keys ON \(deliveries) (group_name, ordering_key, seq)
                        WHERE ordering_key IS NOT NULL
                    """,
                ],
                // 3: dedup after acknowledgement (a group's window, and the ids it acknowledged
                // within it), and the dead-letter index the keep limit trims by.
                [
                    "ALTER TABLE \(groups) ADD COLUMN dedup_seconds double precision",
                    "ALTER TABLE \(groups) ADD COLUMN dedup_count integer",
                    """
                    CREATE TABLE \(acknowledged) (
                        group_name text NOT NULL,
                        event_id text NOT NULL,
                        acked_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (group_name, event_id))
                    """,
                    "CREATE INDEX acknowledged_by_age ON \(acknowledged) (group_name, acked_at, event_id)",
                    """
                    ALTER TABLE \(acknowledged) SET (autovacuum_vacuum_scale_factor = 0.02,
                        autovacuum_vacuum_threshold = 500, autovacuum_analyze_scale_factor = 0.05)
                    """,
                    "CREATE INDEX dead_letters_by_age ON \(deadLetters) (group_name, dead_at, event_id)",
                ],
                // 4: the bus across instances — stored point-to-point queues, responders of
                // request types with their heartbeat, and payloads past NOTIFY's limit.
                [
                    """
                    CREATE TABLE \(queues) (
                        queue_name text PRIMARY KEY,
                        event_name text NOT NULL,
                        declared_at timestamptz NOT NULL DEFAULT now())
                    """,
                    """
                    CREATE TABLE \(responders) (
                        request_name text NOT NULL,
                        instance_id text NOT NULL,
                        heartbeat_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (request_name, instance_id))
                    """,
                    """
                    CREATE TABLE \(messages) (
                        id bigserial PRIMARY KEY,
                        payload bytea NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now())
                    """,
                    "CREATE INDEX messages_by_age ON \(messages) (created_at)",
                    // An acknowledged event of a group with a dedup window stays a minute as a
                    // tombstone (`acked_at`, never visible): a publish of the same id that raced
                    // the acknowledgement finds it, instead of a deleted row, and is not stored.
                    "ALTER TABLE \(deliveries) ADD COLUMN acked_at timestamptz",
                ],
                // 5: the schema version of each event (a consumer claims only the versions its type
                // reads). Rows from before are version 1; a constant default adds the column
                // without rewriting the table.
                [
                    "ALTER TABLE \(deliveries) ADD COLUMN schema_version integer NOT NULL DEFAULT 1",
                    "ALTER TABLE \(deadLetters) ADD COLUMN schema_version integer NOT NULL DEFAULT 1",
                ],
            ]
        }

        /// Applies the migrations not applied yet, each in order, in one transaction that holds
        /// the schema's advisory lock (instances starting together apply each once). Idempotent.
        /// - Returns: the schema's version after.
        @discardableResult
        func migrate(_ store: PostgresGroupStore) async throws -> Int {
            let steps = self.steps
            // Up to date (the usual case): no transaction, no lock, no DDL, so that a role that
            // may only read and write the tables can use them.
            if try await appliedVersion(store) == steps.count { return steps.count }
            let lockKey = "eventbus migrate \(name)"
            let logger = store.logger
            let migrations = self.migrations
            let quoted = self.quoted
            // DDL under the schema's lock waits for the instances starting beside it and for the
            // catalog: its bound is twelve operations' (a minute by default), not one's.
            return try await store.transaction(
                "migrate schema \(name)",
                timeout: store.options.operationTimeout * 12
            ) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
                try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: quoted)", logger: logger)
                try await connection.query(
                    """
                    CREATE TABLE IF NOT EXISTS \(unescaped: migrations) (
                        version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                    """,
                    logger: logger
                )
                var current = 0
                let rows = try await connection.query(
                    "SELECT coalesce(max(version), 0)::integer FROM \(unescaped: migrations)",
                    logger: logger
                )
                for try await version in rows.decode(Int32.self) { current = Int(version) }
                for (index, step) in steps.enumerated() where index + 1 > current {
                    for statement in step {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    let version = Int32(index + 1)
                    try await connection.query(
                        "INSERT INTO \(unescaped: migrations) (version) VALUES (\(version))",
                        logger: logger
                    )
                }
                return steps.count
            }
        }

        /// The version of the migrations applied to the schema, applying none; nil when it has no
        /// migrations table (no migration was ever applied, or the schema does not exist).
        func appliedVersion(_ store: PostgresGroupStore) async throws -> Int? {
            let migrations = self.migrations
            let logger = store.logger
            return try await store.run("read the schema version of \(name)") { connection in
                let exists = try await connection.query(
                    "SELECT to_regclass(\(migrations)) IS NOT NULL",
                    logger: logger
                )
                var found = false
                for try await value in exists.decode(Bool.self) { found = value }
                guard found else { return nil }
                let rows = try await connection.query(
                    "SELECT coalesce(max(version), 0)::integer FROM \(unescaped: migrations)",
                    logger: logger
                )
                var version = 0
                for try await value in rows.decode(Int32.self) { version = Int(value) }
                return version
            }
        }
    }
#endif
