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
            let rows = try await client.query(
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
            var declared = eventName
            for try await name in rows.decode(String.self) { declared = name }
            return declared
        }

        /// Sends records to stored queue `queue` (`queue:<name>`), in one transaction, and wakes
        /// its consumers.
        func enqueue(queue: String, records: [GroupRecord]) async throws {
            guard !records.isEmpty else { return }
            let schema = try await prepare()
            try await client.withTransaction(logger: logger) { connection in
                try await insert(records, into: queue, schema: schema, on: connection)
            }
        }

        /// ``enqueue(queue:records:)`` on the caller's connection, inside the caller's transaction.
        func enqueue(queue: String, records: [GroupRecord], on connection: PostgresConnection) async throws {
            guard !records.isEmpty else { return }
            let schema = try await prepare()
            try await insert(records, into: queue, schema: schema, on: connection)
        }

        /// The rows of a send (an id already there is not stored again), and the queue's NOTIFY.
        private func insert(
            _ records: [GroupRecord],
            into queue: String,
            schema: PostgresSchema,
            on connection: PostgresConnection
        ) async throws {
            let logger = self.logger
            for record in records {
                let delay = record.delay.map(Self.seconds) ?? 0
                try await connection.query(
                    """
                    INSERT INTO \(unescaped: schema.deliveries)
                        (group_name, event_id, event_name, body, priority, visible_at, ordering_key, schema_version)
                    VALUES (\(queue), \(record.id), \(record.eventName), \(ByteBuffer(bytes: record.body)),
                        \(Int16(record.priority.rawValue)), now() + \(delay) * interval '1 second', \(record.orderingKey),
                        \(Int32(clamping: record.schemaVersion)))
                    ON CONFLICT (group_name, event_id) DO NOTHING
                    """,
                    logger: logger
                )
            }
            if options.notifyOnPublish {
                try await connection.query("SELECT pg_notify(\(schema.channel), \(queue))", logger: logger)
            }
        }
    }
#endif
