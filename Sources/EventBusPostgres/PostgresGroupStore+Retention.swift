#if PostgresSupport
    import EventBus
    import EventLog
    import EventQueue
    import Foundation
    import PostgresNIO

    // What a group keeps once an event is settled: the ids it acknowledged (its dedup window)
    // and its dead letters (the keep limit).
    extension PostgresGroupStore {
        /// Records `group`'s dedup window on every row of the group; nil forgets it (the ids it
        /// remembers go at the next prune).
        func setDedup(group: String, window: DedupWindow?) async throws {
            let schema = try await prepare()
            var seconds: Double?
            var count: Int32?
            if let window {
                seconds = window.duration.map(Self.seconds)
                count = window.count.map { Int32(clamping: $0) }
                if seconds == nil && count == nil { count = 100_000 }
            }
            try await execute(
                "set the dedup window of group \(group)",
                """
                UPDATE \(unescaped: schema.groups) SET dedup_seconds = \(seconds), dedup_count = \(count)
                WHERE group_name = \(group)
                """
            )
        }

        /// Forgets the acknowledged ids of `group` older than its window's duration, or beyond the
        /// newest `count` of them; all of them when the group has no window any more.
        func pruneAcknowledged(group: String) async throws -> Int {
            let schema = try self.schema()
            // Tombstones of acknowledged events outlive any publish that raced their
            // acknowledgement (that publish waited for the commit, then found them).
            _ = try await self.count(
                "forget acknowledged ids of group \(group)",
                """
                DELETE FROM \(unescaped: schema.deliveries)
                WHERE group_name = \(group) AND acked_at < now() - interval '1 minute'
                RETURNING 1
                """
            )
            let logger = self.logger
            let (seconds, count) = try await run("read the dedup window of group \(group)") { connection in
                let rows = try await connection.query(
                    """
                    SELECT max(dedup_seconds), max(dedup_count) FROM \(unescaped: schema.groups)
                    WHERE group_name = \(group)
                    """,
                    logger: logger
                )
                var window: (Double?, Int32?) = (nil, nil)
                for try await (s, c) in rows.decode((Double?, Int32?).self) { window = (s, c) }
                return window
            }
            guard seconds != nil || count != nil else {
                return try await self.count(
                    "forget acknowledged ids of group \(group)",
                    "DELETE FROM \(unescaped: schema.acknowledged) WHERE group_name = \(group) RETURNING 1"
                )
            }
            var pruned = 0
            if let seconds {
                pruned += try await self.count(
                    "forget acknowledged ids of group \(group)",
                    """
                    DELETE FROM \(unescaped: schema.acknowledged)
                    WHERE group_name = \(group) AND acked_at < now() - \(seconds) * interval '1 second'
                    RETURNING 1
                    """
                )
            }
            if let count {
                pruned += try await self.count(
                    "forget acknowledged ids of group \(group)",
                    """
                    DELETE FROM \(unescaped: schema.acknowledged)
                    WHERE group_name = \(group) AND (acked_at, event_id) <= (
                        SELECT acked_at, event_id FROM \(unescaped: schema.acknowledged)
                        WHERE group_name = \(group) ORDER BY acked_at DESC, event_id DESC
                        OFFSET \(Int64(count)) LIMIT 1)
                    RETURNING 1
                    """
                )
            }
            return pruned
        }

        /// Counts the group's events by state (one statement; the claim index narrows it to the group).
        func snapshot(group: String) async throws -> GroupSnapshot {
            let schema = try self.schema()
            let logger = self.logger
            let snapshot = try await run("count the events of group \(group)") { connection in
                let rows = try await connection.query(
                    """
                    SELECT
                        count(*) FILTER (WHERE visible_at <= now()
                            AND (lease_owner IS NULL OR lease_expires_at < now())),
                        count(*) FILTER (WHERE visible_at > now() AND acked_at IS NULL
                            AND (lease_owner IS NULL OR lease_expires_at < now())),
                        count(*) FILTER (WHERE lease_owner IS NOT NULL AND lease_expires_at >= now()),
                        (SELECT count(*) FROM \(unescaped: schema.deadLetters) WHERE group_name = \(group))
                    FROM \(unescaped: schema.deliveries) WHERE group_name = \(group)
                    """,
                    logger: logger
                )
                var snapshot = GroupSnapshot(visible: 0, delayed: 0, leased: 0, deadLetters: 0)
                for try await (visible, delayed, leased, dead) in rows.decode((Int64, Int64, Int64, Int64).self) {
                    snapshot = GroupSnapshot(
                        visible: Int(visible),
                        delayed: Int(delayed),
                        leased: Int(leased),
                        deadLetters: Int(dead)
                    )
                }
                return snapshot
            }
            return snapshot
        }

        /// The statement that deletes the oldest dead letters of `group` beyond the newest `limit`.
        static func trimStatement(schema: PostgresSchema, group: String, keeping limit: Int) -> PostgresQuery {
            """
            DELETE FROM \(unescaped: schema.deadLetters)
            WHERE group_name = \(group) AND (dead_at, event_id) <= (
                SELECT dead_at, event_id FROM \(unescaped: schema.deadLetters)
                WHERE group_name = \(group) ORDER BY dead_at DESC, event_id DESC
                OFFSET \(Int64(max(0, limit))) LIMIT 1)
            RETURNING 1
            """
        }

        /// The group's events that no claimant but `owners` holds (an expired lease holds nothing).
        func remaining(group: String, owners: [String]) async throws -> Int {
            let schema = try self.schema()
            let logger = self.logger
            let count = try await run("count what is left of group \(group)") { connection in
                let rows = try await connection.query(
                    """
                    SELECT count(*)::bigint FROM \(unescaped: schema.deliveries)
                    WHERE group_name = \(group) AND acked_at IS NULL
                        AND (lease_owner IS NULL OR lease_expires_at < now() OR lease_owner = ANY(\(owners)::text[]))
                    """,
                    logger: logger
                )
                var count = 0
                for try await value in rows.decode(Int64.self) { count = Int(value) }
                return count
            }
            return count
        }

        /// The dead letters of `group` with their bytes, oldest first.
        func deadLetters(group: String, limit: Int?) async throws -> [GroupDeadLetter] {
            let schema = try await prepare()
            let logger = self.logger
            let letters = try await run("list the dead letters of group \(group)") { connection in
                let rows = try await connection.query(
                    """
                    SELECT event_id, event_name, body, priority, attempts, reason, dead_at
                    FROM \(unescaped: schema.deadLetters)
                    WHERE group_name = \(group) ORDER BY dead_at, event_id LIMIT \(limit.map(Int64.init))
                    """,
                    logger: logger
                )
                var letters: [GroupDeadLetter] = []
                for try await (id, eventName, body, priority, attempts, reason, deadAt) in rows.decode(
                    (String, String, ByteBuffer, Int16, Int32, String, Date).self
                ) {
                    letters.append(
                        GroupDeadLetter(
                            id: id,
                            eventName: eventName,
                            body: Array(body.readableBytesView),
                            priority: Priority(rawValue: UInt8(clamping: priority)) ?? .normal,
                            attempts: Int(attempts),
                            reason: reason,
                            deadAt: deadAt
                        )
                    )
                }
                return letters
            }
            return letters
        }
    }
#endif
