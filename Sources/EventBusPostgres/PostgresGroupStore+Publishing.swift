#if PostgresSupport
    import EventBus
    import PostgresNIO

    extension PostgresGroupStore {
        /// Stores each record once for every group declared for its event name — in one
        /// transaction, so all or none — skipping a group that holds the id already (pending,
        /// dead-lettered, or acknowledged within the group's dedup window: dedup by group and event
        /// id); then, unless switched off, one NOTIFY per
        /// group stored into, whose payload is the group's name (never the event: NOTIFY payloads
        /// are capped at 8000 bytes).
        func store(_ records: [GroupRecord]) async throws {
            guard !records.isEmpty else { return }
            let schema = try await prepare()
            try await client.withTransaction(logger: logger) { connection in
                try await insert(records, schema: schema, on: connection)
            }
        }

        /// ``store(_:)`` on the caller's connection, inside the caller's transaction: the rows
        /// (and the NOTIFY) take effect when it commits, and are gone if it rolls back.
        func store(_ records: [GroupRecord], on connection: PostgresConnection) async throws {
            guard !records.isEmpty else { return }
            let schema = try await prepare()
            try await insert(records, schema: schema, on: connection)
        }

        /// The statements of a publish, on `connection` (in a transaction).
        private func insert(
            _ records: [GroupRecord],
            schema: PostgresSchema,
            on connection: PostgresConnection
        )
            async throws
        {
            let logger = self.logger
            var stored: Set<String> = []
            for record in records {
                let delay = record.delay.map(Self.seconds) ?? 0
                let rows = try await connection.query(
                    """
                    INSERT INTO \(unescaped: schema.deliveries)
                        (group_name, event_id, event_name, body, priority, visible_at, ordering_key, schema_version)
                    SELECT g.group_name, \(record.id), g.event_name, \(ByteBuffer(bytes: record.body)),
                        \(Int16(record.priority.rawValue)), now() + \(delay) * interval '1 second',
                        \(record.orderingKey), \(Int32(clamping: record.schemaVersion))
                    FROM \(unescaped: schema.groups) g
                    WHERE g.event_name = \(record.eventName)
                        AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema.deadLetters) d
                            WHERE d.group_name = g.group_name AND d.event_id = \(record.id))
                        AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema.acknowledged) a
                            WHERE a.group_name = g.group_name AND a.event_id = \(record.id)
                                AND (g.dedup_seconds IS NULL
                                    OR a.acked_at > now() - g.dedup_seconds * interval '1 second'))
                    ON CONFLICT (group_name, event_id) DO NOTHING
                    RETURNING group_name
                    """,
                    logger: logger
                )
                for try await group in rows.decode(String.self) { stored.insert(group) }
            }
            if options.notifyOnPublish && !stored.isEmpty {
                try await connection.query(
                    "SELECT pg_notify(\(schema.channel), g) FROM unnest(\(stored.sorted())::text[]) AS g",
                    logger: logger
                )
            }
        }

        /// A duration in seconds.
        static func seconds(_ duration: Duration) -> Double {
            let (seconds, attoseconds) = duration.components
            return Double(seconds) + Double(attoseconds) / 1e18
        }
    }
#endif
