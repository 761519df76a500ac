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
            let logger = self.logger
            let query: PostgresQuery =
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
                """
            // A claim that was sent but not answered may have leased rows to `owner`: the caller
            // gives back what it does not know of (``release(group:owner:keeping:)``).
            var claimed = try await run("claim from group \(group)", uncertain: true) { connection in
                let rows = try await connection.query(query, logger: logger)
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
                return claimed
            }
            claimed.sort { ($0.priority, $0.seq) < ($1.priority, $1.seq) }
            return claimed.map(\.record)
        }

        /// Deletes the handled event (deleted, not marked: see ScaleOut.md on vacuum), if `owner`
        /// still holds its lease; a group with a dedup window remembers its id, in the same
        /// statement.
        func acknowledge(group: String, id: String, owner: String) async throws -> Bool {
            try await !settle(group: group, owner: owner, [GroupSettlement(id: id, kind: .acknowledge)]).isEmpty
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
            let query = try settlement(group: group, owner: owner, [GroupSettlement(id: id, kind: .acknowledge)])
            return try await Self.count(query, on: connection, logger: logger) > 0
        }

        /// Writes settlements of events `owner` claimed in `group`, in one statement (one commit):
        /// acknowledgements and retries, each only while `owner` still holds the event's lease.
        /// Returns the ids that counted: a lease that ran out (another claimant has the event) is
        /// refused for exactly its rows. Written again after an unanswered attempt, a settlement
        /// that counted the first time finds no row it owns and is left out.
        func settle(group: String, owner: String, _ settlements: [GroupSettlement]) async throws -> Set<String> {
            guard !settlements.isEmpty else { return [] }
            let query = try settlement(group: group, owner: owner, settlements)
            let logger = self.logger
            return try await run("settle \(settlements.count) event(s) of group \(group)") { connection in
                var settled: Set<String> = []
                for try await id in try await connection.query(query, logger: logger).decode(String.self) {
                    settled.insert(id)
                }
                return settled
            }
        }

        /// The statement of a batch of settlements. An acknowledged row is deleted — or, in a group
        /// with a dedup window, becomes a tombstone for a minute (`acked_at`, never visible) and its
        /// id is remembered in `acknowledged`. The tombstone closes a race: a publish of the same id
        /// whose insert waited for this transaction finds a row (not a deleted one) and is not
        /// stored, where its check of `acknowledged` ran before this committed. A retry counts the
        /// attempt and makes the row visible again after its delay. One id at most once.
        private func settlement(
            group: String,
            owner: String,
            _ settlements: [GroupSettlement]
        ) throws
            -> PostgresQuery
        {
            let schema = try self.schema()
            var ids: [String] = []
            var delays: [Double] = []
            var reasons: [String] = []
            var seen: Set<String> = []
            for settlement in settlements where seen.insert(settlement.id).inserted {
                ids.append(settlement.id)
                switch settlement.kind {
                case .acknowledge:
                    delays.append(-1)
                    reasons.append("")
                case .retry(let delay, let reason):
                    delays.append(max(0, Self.seconds(delay)))
                    reasons.append(reason)
                }
            }
            return """
                WITH input AS (
                    SELECT * FROM unnest(\(ids)::text[], \(delays)::float8[], \(reasons)::text[])
                        AS i(event_id, delay, reason)),
                target AS (
                    SELECT d.group_name, d.event_id, i.delay, i.reason, EXISTS (
                        SELECT 1 FROM \(unescaped: schema.groups) g
                        WHERE g.group_name = d.group_name AND g.event_name = d.event_name
                            AND (g.dedup_seconds IS NOT NULL OR g.dedup_count IS NOT NULL)) AS windowed
                    FROM \(unescaped: schema.deliveries) d JOIN input i ON d.event_id = i.event_id
                    WHERE d.group_name = \(group) AND d.lease_owner = \(owner) AND d.acked_at IS NULL),
                done AS (
                    DELETE FROM \(unescaped: schema.deliveries) d USING target t
                    WHERE d.group_name = t.group_name AND d.event_id = t.event_id AND t.delay < 0 AND NOT t.windowed
                        AND d.lease_owner = \(owner)
                    RETURNING d.event_id),
                marked AS (
                    UPDATE \(unescaped: schema.deliveries) d
                    SET acked_at = now(), lease_owner = NULL, lease_expires_at = NULL, visible_at = 'infinity'
                    FROM target t
                    WHERE d.group_name = t.group_name AND d.event_id = t.event_id AND t.delay < 0 AND t.windowed
                        AND d.lease_owner = \(owner)
                    RETURNING d.event_id),
                kept AS (
                    INSERT INTO \(unescaped: schema.acknowledged) (group_name, event_id)
                    SELECT group_name, event_id FROM target WHERE delay < 0 AND windowed
                    ON CONFLICT (group_name, event_id) DO UPDATE SET acked_at = now()),
                retried AS (
                    UPDATE \(unescaped: schema.deliveries) d
                    SET lease_owner = NULL, lease_expires_at = NULL, attempts = d.attempts + 1,
                        visible_at = now() + t.delay * interval '1 second', last_error = t.reason
                    FROM target t
                    WHERE d.group_name = t.group_name AND d.event_id = t.event_id AND t.delay >= 0
                        AND d.lease_owner = \(owner)
                    RETURNING d.event_id)
                SELECT event_id FROM done UNION ALL SELECT event_id FROM marked UNION ALL SELECT event_id FROM retried
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
            let retry = GroupSettlement(id: id, kind: .retry(after: delay, reason: reason))
            return try await !settle(group: group, owner: owner, [retry]).isEmpty
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
            return try await transaction("dead-letter an event of group \(group)") { connection in
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

        /// Renews the leases `owner` holds on `ids` in `group` — only those: rows a claim leased
        /// without its answer arriving are not kept alive by a heartbeat.
        func extendLeases(group: String, owner: String, ids: [String]) async throws -> Int {
            guard !ids.isEmpty else { return 0 }
            let schema = try self.schema()
            let lease = Self.seconds(options.lease)
            return try await count(
                "renew leases in group \(group)",
                """
                UPDATE \(unescaped: schema.deliveries)
                SET lease_expires_at = now() + \(lease) * interval '1 second'
                WHERE group_name = \(group) AND lease_owner = \(owner) AND event_id = ANY(\(ids)::text[])
                RETURNING 1
                """
            )
        }

        /// Gives back what `owner` holds unhandled (a clean stop: the claim is not counted), and
        /// wakes the group's other consumers.
        func release(group: String, owner: String) async throws {
            try await release(group: group, owner: owner, keeping: [])
        }

        /// Gives back what `owner` holds in `group` except `ids` (not counted as a claim): after a
        /// claim whose answer never came, the rows it may have leased that nobody here knows of.
        func release(group: String, owner: String, keeping ids: [String]) async throws {
            let schema = try self.schema()
            let released = try await count(
                "give back events of group \(group)",
                """
                UPDATE \(unescaped: schema.deliveries)
                SET lease_owner = NULL, lease_expires_at = NULL, claims = greatest(claims - 1, 0)
                WHERE group_name = \(group) AND lease_owner = \(owner) AND event_id <> ALL(\(ids)::text[])
                RETURNING 1
                """
            )
            if released > 0 { try await notify([group]) }
        }

        /// The reaper: returns every expired lease's event to its group (the cut-off claim stays
        /// counted, as a crash) and wakes those groups.
        func reapExpiredLeases() async throws -> Int {
            let schema = try self.schema()
            let logger = self.logger
            let groups = try await run("return expired leases") { connection in
                let rows = try await connection.query(
                    """
                    UPDATE \(unescaped: schema.deliveries)
                    SET lease_owner = NULL, lease_expires_at = NULL
                    WHERE lease_owner IS NOT NULL AND lease_expires_at < now()
                    RETURNING group_name
                    """,
                    logger: logger
                )
                var groups: [String] = []
                for try await group in rows.decode(String.self) { groups.append(group) }
                return groups
            }
            if !groups.isEmpty { try await notify(Set(groups).sorted()) }
            return groups.count
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
            let moved = try await count(
                "requeue dead letters of group \(group)",
                PostgresQuery(unsafeSQL: sql, binds: filter.binds)
            )
            if moved > 0 { try await notify([group]) }
            return moved
        }

        /// Sends one NOTIFY per group.
        func notify(_ groups: [String]) async throws {
            let channel = try schema().channel
            try await execute("notify", "SELECT pg_notify(\(channel), g) FROM unnest(\(groups)::text[]) AS g")
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
