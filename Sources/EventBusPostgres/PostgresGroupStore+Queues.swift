#if PostgresSupport
    import EventBus
    import EventLog
    import PostgresNIO

    // Stored point-to-point queues: rows of `deliveries` under the group name `queue:<name>`,
    // declared in `queues` (never in `groups`, so that no publish reaches them).
    extension PostgresGroupStore {
        /// Records that stored queue `queue` carries `eventName` (the first declaration wins);
        /// returns the event name it carries.
        func declare(queue: String, eventName: String) async throws -> String {
            let schema = try await prepare()
            let logger = self.logger
            let found = try await run("declare queue \(queue)") { connection in
                let rows = try await connection.query(
                    """
                    WITH added AS (
                        INSERT INTO \(unescaped: schema.queues) (queue_name, event_name) VALUES (\(queue), \(eventName))
                        ON CONFLICT (queue_name) DO NOTHING
                        RETURNING event_name)
                    SELECT event_name FROM added
                    UNION ALL
                    SELECT event_name FROM \(unescaped: schema.queues) WHERE queue_name = \(queue)
                    LIMIT 1
                    """,
                    logger: logger
                )
                var found: String?
                for try await name in rows.decode(String.self) { found = name }
                return found
            }
            return found ?? eventName
        }

        /// Sends records to stored queue `queue` (`queue:<name>`), in one statement, and wakes its
        /// consumers. Unanswered: ``PostgresStoreError/outcomeUnknown(server:operation:cause:)``.
        func enqueue(queue: String, records: [GroupRecord]) async throws {
            guard !records.isEmpty else { return }
            let query = try sending(records, to: queue, schema: try await prepare())
            let logger = self.logger
            try await run("send \(records.count) event(s) to queue \(queue.dropFirst(6))", uncertain: true) {
                connection in
                _ = try await Self.count(query, on: connection, logger: logger)
            }
        }

        /// ``enqueue(queue:records:)`` on the caller's connection, inside the caller's transaction.
        func enqueue(queue: String, records: [GroupRecord], on connection: PostgresConnection) async throws {
            guard !records.isEmpty else { return }
            let query = try sending(records, to: queue, schema: try await prepare())
            try await bounded("send to queue \(queue.dropFirst(6)) in your transaction", on: connection) {
                [logger] connection in
                _ = try await Self.count(query, on: connection, logger: logger)
            }
        }

        /// The statement of a send: the rows (an id already there is not stored again), in order,
        /// and the queue's NOTIFY.
        private func sending(_ records: [GroupRecord], to queue: String, schema: PostgresSchema) throws -> PostgresQuery
        {
            let columns = Columns(records)
            let eventNames = records.map(\.eventName)
            let notify = options.notifyOnPublish
            return """
                WITH input AS (
                    SELECT * FROM unnest(\(columns.ids)::text[], \(eventNames)::text[], \(columns.bodies)::bytea[],
                        \(columns.priorities)::int2[], \(columns.delays)::float8[], \(columns.keys)::text[],
                        \(columns.keyed)::bool[], \(columns.versions)::int4[]) WITH ORDINALITY
                        AS r(event_id, event_name, body, priority, delay, ordering_key, keyed, schema_version, position)),
                stored AS (
                    INSERT INTO \(unescaped: schema.deliveries)
                        (group_name, event_id, event_name, body, priority, visible_at, ordering_key, schema_version)
                    SELECT \(queue), r.event_id, r.event_name, r.body, r.priority, now() + r.delay * interval '1 second',
                        CASE WHEN r.keyed THEN r.ordering_key END, r.schema_version
                    FROM input r ORDER BY r.position
                    ON CONFLICT (group_name, event_id) DO NOTHING
                    RETURNING 1)
                SELECT pg_notify(\(schema.channel), \(queue)) WHERE \(notify) AND EXISTS (SELECT 1 FROM stored)
                """
        }
    }
#endif
