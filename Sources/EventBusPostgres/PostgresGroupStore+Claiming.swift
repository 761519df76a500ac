#if PostgresSupport
    import EventBus
    import EventLog
    import PostgresNIO

    extension PostgresGroupStore {
        /// Leases up to `limit` visible events of `group` to `owner`: `FOR UPDATE SKIP LOCKED`, so
        /// that concurrent claimants never wait for each other nor take the same row; a row whose
        /// lease expired counts as free (its claim was cut off). In lane, then publish order. Only
        /// rows of schema version `readableVersion` or older, and newer ones that waited longer than
        /// ``PostgresStoreOptions/newerVersionTimeout`` (the consumer dead-letters those). A newer
        /// row still blocks the younger rows of its ordering key: they wait behind it.
        func claimBatch(
            group: String,
            owner: String,
            limit: Int,
            readableVersion: Int
        ) async throws -> [ClaimedRecord] {
            let schema = try self.schema()
            let lease = Self.seconds(options.lease)
            let readable = Int32(clamping: readableVersion)
            let patience = Self.seconds(options.newerVersionTimeout)
            let rows = try await client.query(
                """
                WITH next AS (
                    SELECT c.group_name, c.event_id FROM \(unescaped: schema.deliveries) AS c
                    WHERE c.group_name = \(group) AND c.visible_at <= now() AND c.acked_at IS NULL
                        AND (c.lease_owner IS NULL OR c.lease_expires_at < now())
                        AND (c.schema_version <= \(readable)
                            OR c.enqueued_at < now() - \(patience) * interval '1 second')
                        AND (c.ordering_key IS NULL OR NOT EXISTS (
                            SELECT 1 FROM \(unescaped: schema.deliveries) AS e
                            WHERE e.group_name = c.group_name AND e.ordering_key = c.ordering_key AND e.seq < c.seq
                                AND e.acked_at IS NULL))
                    ORDER BY c.priority, c.seq
                    LIMIT \(limit)
                    FOR UPDATE SKIP LOCKED)
                UPDATE \(unescaped: schema.deliveries) AS d
                SET lease_owner = \(owner), lease_expires_at = now() + \(lease) * interval '1 second',
                    claims = d.claims + 1
                FROM next WHERE d.group_name = next.group_name AND d.event_id = next.event_id
                RETURNING d.event_id, d.event_name, d.body, d.attempts, d.claims, d.priority, d.seq
                """,
                logger: logger
            )
            var claimed: [(seq: Int64, priority: Int16, record: ClaimedRecord)] = []
            for try await (id, eventName, body, attempts, claims, priority, seq) in rows.decode(
                (String, String, ByteBuffer, Int32, Int32, Int16, Int64).self
            ) {
                let record = ClaimedRecord(
                    id: id,
                    eventName: eventName,
                    body: Array(body.readableBytesView),
                    attempts: Int(attempts),
                    // This claim is one; each failed attempt was one; the rest were cut off.
                    crashes: max(0, Int(claims) - 1 - Int(attempts)),
                    priority: Priority(rawValue: UInt8(clamping: priority)) ?? .normal
                )
                claimed.append((seq, priority, record))
            }
            claimed.sort { ($0.priority, $0.seq) < ($1.priority, $1.seq) }
            return claimed.map(\.record)
        }

        /// Deletes the handled event (deleted, not marked: see ScaleOut.md on vacuum), if `owner`
        /// still holds its lease; a group with a dedup window remembers its id, in the same
        /// statement.
        func acknowledge(group: String, id: String, owner: String) async throws -> Bool {
            try await count(acknowledgement(group: group, id: id, owner: owner)) > 0
        }

        /// ``acknowledge(group:id:owner:)`` on the caller's connection, inside the caller's
        /// transaction (with the handler's writes): it counts when that transaction commits.
        func acknowledge(
            group: String,
            id: String,
            owner: String,
            on connection: PostgresConnection
        )
            async throws -> Bool
        {
            let rows = try await connection.query(acknowledgement(group: group, id: id, owner: owner), logger: logger)
            var acknowledged = false
            for try await _ in rows { acknowledged = true }
            return acknowledged
        }

        /// The statement of an acknowledgement: the row is deleted — or, in a group with a dedup
        /// window, becomes a tombstone for a minute (`acked_at`, never visible) and its id is
        /// remembered in `acknowledged`. The tombstone closes a race: a publish of the same id
        /// whose insert waited for this transaction finds a row (not a deleted one) and is not
        /// stored, where its check of `acknowledged` ran before this committed.
        private func acknowledgement(group: String, id: String, owner: String) throws -> PostgresQuery {
            let schema = try self.schema()
            return """
                WITH target AS (
                    SELECT d.group_name, d.event_id, EXISTS (
                        SELECT 1 FROM \(unescaped: schema.groups) g
                        WHERE g.group_name = d.group_name AND g.event_name = d.event_name
                            AND (g.dedup_seconds IS NOT NULL OR g.dedup_count IS NOT NULL)) AS windowed
                    FROM \(unescaped: schema.deliveries) d
                    WHERE d.group_name = \(group) AND d.event_id = \(id) AND d.lease_owner = \(owner)),
                done AS (
                    DELETE FROM \(unescaped: schema.deliveries) d USING target t
                    WHERE d.group_name = t.group_name AND d.event_id = t.event_id AND NOT t.windowed
                        AND d.lease_owner = \(owner)
                    RETURNING 1),
                marked AS (
                    UPDATE \(unescaped: schema.deliveries) d
                    SET acked_at = now(), lease_owner = NULL, lease_expires_at = NULL, visible_at = 'infinity'
                    FROM target t
                    WHERE d.group_name = t.group_name AND d.event_id = t.event_id AND t.windowed
                        AND d.lease_owner = \(owner)
                    RETURNING 1),
                kept AS (
                    INSERT INTO \(unescaped: schema.acknowledged) (group_name, event_id)
                    SELECT group_name, event_id FROM target WHERE windowed
                    ON CONFLICT (group_name, event_id) DO UPDATE SET acked_at = now())
                SELECT 1 FROM done UNION ALL SELECT 1 FROM marked
                """
        }

        /// Counts the failed attempt and makes the event visible again after `delay`, if `owner`
        /// still holds its lease.
        func retry(
            group: String,
            id: String,
            owner: String,
            after delay: Duration,
            reason: String
        ) async throws
            -> Bool
        {
            let schema = try self.schema()
            let seconds = Self.seconds(delay)
            return try await count(
                """
                UPDATE \(unescaped: schema.deliveries)
                SET lease_owner = NULL, lease_expires_at = NULL, attempts = attempts + 1,
                    visible_at = now() + \(seconds) * interval '1 second', last_error = \(reason)
                WHERE group_name = \(group) AND event_id = \(id) AND lease_owner = \(owner)
                RETURNING 1
                """
            ) > 0
        }

        /// Moves a leased event to the dead letters and, with `limit`, trims the oldest beyond
        /// it, in one transaction: whoever sees the move sees the limit hold.
        func deadLetter(
            group: String,
            id: String,
            owner: String,
            reason: String,
            countsAsAttempt: Bool,
            keeping limit: Int?
        ) async throws -> (settled: Bool, trimmed: Int) {
            let schema = try self.schema()
            let added: Int32 = countsAsAttempt ? 1 : 0
            let logger = self.logger
            return try await client.withTransaction(logger: logger) { connection in
                let moved = try await Self.count(
                    """
                    WITH moved AS (
                        DELETE FROM \(unescaped: schema.deliveries)
                        WHERE group_name = \(group) AND event_id = \(id) AND lease_owner = \(owner)
                        RETURNING group_name, event_id, event_name, body, priority, attempts, ordering_key,
                            schema_version)
                    INSERT INTO \(unescaped: schema.deadLetters)
                        (group_name, event_id, event_name, body, priority, attempts, reason, ordering_key,
                            schema_version)
                    SELECT group_name, event_id, event_name, body, priority, attempts + \(added), \(reason),
                        ordering_key, schema_version
                    FROM moved
                    ON CONFLICT (group_name, event_id) DO UPDATE
                        SET reason = EXCLUDED.reason, attempts = EXCLUDED.attempts, dead_at = now()
                    RETURNING 1
                    """,
                    on: connection,
                    logger: logger
                )
                guard moved > 0 else { return (false, 0) }
                guard let limit else { return (true, 0) }
                let trimmed = try await Self.count(
                    Self.trimStatement(schema: schema, group: group, keeping: limit),
                    on: connection,
                    logger: logger
                )
                return (true, trimmed)
            }
        }

        /// Renews the leases `owner` holds in `group`.
        func extendLeases(group: String, owner: String) async throws -> Int {
            let schema = try self.schema()
            let lease = Self.seconds(options.lease)
            return try await count(
                """
                UPDATE \(unescaped: schema.deliveries)
                SET lease_expires_at = now() + \(lease) * interval '1 second'
                WHERE group_name = \(group) AND lease_owner = \(owner)
                RETURNING 1
                """
            )
        }

        /// Gives back what `owner` holds unhandled (a clean stop: the claim is not counted), and
        /// wakes the group's other consumers.
        func release(group: String, owner: String) async throws {
            let schema = try self.schema()
            let released = try await count(
                """
                UPDATE \(unescaped: schema.deliveries)
                SET lease_owner = NULL, lease_expires_at = NULL, claims = greatest(claims - 1, 0)
                WHERE group_name = \(group) AND lease_owner = \(owner)
                RETURNING 1
                """
            )
            if released > 0 { try await notify([group]) }
        }

        /// The reaper: returns every expired lease's event to its group (the cut-off claim stays
        /// counted, as a crash) and wakes those groups.
        func reapExpiredLeases() async throws -> Int {
            let schema = try self.schema()
            let rows = try await client.query(
                """
                UPDATE \(unescaped: schema.deliveries)
                SET lease_owner = NULL, lease_expires_at = NULL
                WHERE lease_owner IS NOT NULL AND lease_expires_at < now()
                RETURNING group_name
                """,
                logger: logger
            )
            var groups: Set<String> = []
            var reaped = 0
            for try await group in rows.decode(String.self) {
                groups.insert(group)
                reaped += 1
            }
            if !groups.isEmpty { try await notify(groups.sorted()) }
            return reaped
        }

        /// Moves dead letters of `group` back to its deliveries with attempts reset.
        func requeueDeadLetters(group: String, ids: [String]?) async throws -> Int {
            let schema = try await prepare()
            let filter: PostgresQuery =
                if let ids {
                    "DELETE FROM \(unescaped: schema.deadLetters) WHERE group_name = \(group) AND event_id = ANY(\(ids))"
                } else {
                    "DELETE FROM \(unescaped: schema.deadLetters) WHERE group_name = \(group)"
                }
            let sql =
                "WITH moved AS (\(filter.sql) RETURNING group_name, event_id, event_name, body, priority, ordering_key, "
                + "schema_version) "
                + "INSERT INTO \(schema.deliveries) "
                + "(group_name, event_id, event_name, body, priority, ordering_key, schema_version) "
                + "SELECT group_name, event_id, event_name, body, priority, ordering_key, schema_version FROM moved "
                + "ON CONFLICT (group_name, event_id) DO NOTHING RETURNING 1"
            let moved = try await count(PostgresQuery(unsafeSQL: sql, binds: filter.binds))
            if moved > 0 { try await notify([group]) }
            return moved
        }

        /// Sends one NOTIFY per group.
        func notify(_ groups: [String]) async throws {
            let channel = try schema().channel
            try await client.query(
                "SELECT pg_notify(\(channel), g) FROM unnest(\(groups)::text[]) AS g",
                logger: logger
            )
        }

        /// Runs a statement and counts the rows it returned.
        func count(_ query: PostgresQuery) async throws -> Int {
            let rows = try await client.query(query, logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }

        /// Runs a statement on `connection` (in a transaction) and counts the rows it returned.
        static func count(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> Int
        {
            let rows = try await connection.query(query, logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
    }
#endif
