#if PostgresSupport
    import EventBus
    import PostgresNIO

    extension PostgresGroupStore {
        /// Stores each record once for every group declared for its event name — in one statement
        /// (one round trip and one commit for the whole batch), so all or none — skipping a group
        /// that holds the id already (pending, dead-lettered, or acknowledged within the group's
        /// dedup window: dedup by group and event id); then, unless switched off, one NOTIFY per
        /// group stored into, whose payload is the group's name (never the event: NOTIFY payloads
        /// are capped at 8000 bytes), in the same statement.
        ///
        /// A statement that was sent but not answered (the link dropped, or the bound passed) throws
        /// ``PostgresStoreError/outcomeUnknown(server:operation:cause:)``: it may have committed.
        func store(_ records: [GroupRecord]) async throws {
            guard !records.isEmpty else { return }
            let query = try insertion(records, schema: try await prepare())
            let logger = self.logger
            try await run("publish \(records.count) event(s)", uncertain: true) { connection in
                _ = try await Self.count(query, on: connection, logger: logger)
            }
        }

        /// ``store(_:)`` on the caller's connection, inside the caller's transaction: the rows
        /// (and the NOTIFY) take effect when it commits, and are gone if it rolls back.
        func store(_ records: [GroupRecord], on connection: PostgresConnection) async throws {
            guard !records.isEmpty else { return }
            let query = try insertion(records, schema: try await prepare())
            try await bounded("publish \(records.count) event(s) in your transaction", on: connection) {
                [logger] connection in
                _ = try await Self.count(query, on: connection, logger: logger)
            }
        }

        /// The statement of a publish: the batch as arrays (`unnest`, in order: rows of one group
        /// get `seq` in publish order, which ordering keys rely on), joined with the declared
        /// groups of each event's name.
        private func insertion(_ records: [GroupRecord], schema: PostgresSchema) throws -> PostgresQuery {
            let columns = Columns(records)
            let eventNames = records.map(\.eventName)
            let notify = options.notifyOnPublish
            // The NOTIFYs read the inserted rows, so that the insert runs to its end before them (a
            // data-modifying CTE always runs; without NOTIFY the last SELECT returns no row).
            return """
                WITH input AS (
                    SELECT * FROM unnest(\(columns.ids)::text[], \(eventNames)::text[], \(columns.bodies)::bytea[],
                        \(columns.priorities)::int2[], \(columns.delays)::float8[], \(columns.keys)::text[],
                        \(columns.keyed)::bool[], \(columns.versions)::int4[]) WITH ORDINALITY
                        AS r(event_id, event_name, body, priority, delay, ordering_key, keyed, schema_version, position)),
                stored AS (
                    INSERT INTO \(unescaped: schema.deliveries)
                        (group_name, event_id, event_name, body, priority, visible_at, ordering_key, schema_version)
                    SELECT g.group_name, r.event_id, g.event_name, r.body, r.priority,
                        now() + r.delay * interval '1 second', CASE WHEN r.keyed THEN r.ordering_key END,
                        r.schema_version
                    FROM input r JOIN \(unescaped: schema.groups) g ON g.event_name = r.event_name
                    WHERE NOT EXISTS (SELECT 1 FROM \(unescaped: schema.deadLetters) d
                            WHERE d.group_name = g.group_name AND d.event_id = r.event_id)
                        AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema.acknowledged) a
                            WHERE a.group_name = g.group_name AND a.event_id = r.event_id
                                AND (g.dedup_seconds IS NULL
                                    OR a.acked_at > now() - g.dedup_seconds * interval '1 second'))
                    ORDER BY r.position, g.group_name
                    ON CONFLICT (group_name, event_id) DO NOTHING
                    RETURNING group_name)
                SELECT pg_notify(\(schema.channel), s.group_name) FROM (SELECT DISTINCT group_name FROM stored) s
                WHERE \(notify)
                """
        }

        /// A duration in seconds.
        static func seconds(_ duration: Duration) -> Double {
            let (seconds, attoseconds) = duration.components
            return Double(seconds) + Double(attoseconds) / 1e18
        }
    }

    /// A batch of records as the columns of an `unnest`.
    struct Columns {
        var ids: [String] = []
        var bodies: [ByteBuffer] = []
        var priorities: [Int16] = []
        var delays: [Double] = []
        /// The ordering keys, "" where none (`keyed` says which are set: an array binds no NULLs).
        var keys: [String] = []
        var keyed: [Bool] = []
        var versions: [Int32] = []

        init(_ records: [GroupRecord]) {
            for record in records {
                ids.append(record.id)
                bodies.append(ByteBuffer(bytes: record.body))
                priorities.append(Int16(record.priority.rawValue))
                delays.append(record.delay.map(PostgresGroupStore.seconds) ?? 0)
                keys.append(record.orderingKey ?? "")
                keyed.append(record.orderingKey != nil)
                versions.append(Int32(clamping: record.schemaVersion))
            }
        }
    }
#endif
