#if PostgresSupport
    import EventBus
    import EventLog
    import EventQueue
    import PostgresNIO

    /// Consumer groups in PostgreSQL, behind the bus's store seam (``MailboxStore``, whose
    /// ``GroupStore`` it is): what ``DurableStore/postgres(_:schema:options:)`` makes.
    ///
    /// One value per process and schema: its consumers share one LISTEN connection (taken from
    /// the client while consumers wait, given back when the store is released).
    final class PostgresGroupStore: MailboxStore, GroupStore {
        /// How consumers learn of new events.
        enum WakeMode: Sendable, Equatable {
            /// Not known yet (LISTEN not started, or its self-test under way): poll.
            case starting
            /// LISTEN delivered the self-test's NOTIFY: wait for notifications, and for the
            /// earliest visible time or lease expiry of the group.
            case listening
            /// LISTEN is off, or delivered nothing (a pooler in transaction mode): poll with jitter.
            case polling
        }

        struct State {
            var schema: PostgresSchema?
            var migrated = false
            var mode: WakeMode = .starting
            var listener: Task<Void, Never>?
            var loggedFallback = false
            /// Claims fail (the database is unreachable or refuses them); logged when it starts
            /// and when it ends.
            var claimsFailing = false
            /// The transport of a bus (`Transport.postgres`): its instance, where arrivals go, and
            /// who hears of the LISTEN connection's health.
            var transport: TransportReceiver?
            /// Why the LISTEN connection does not carry the transport's channels now (nil: it does).
            var transportFailure: TransportFailure?
        }

        /// What the LISTEN connection hands a transport.
        struct TransportReceiver {
            let instance: String
            let inbox: @Sendable (TransportMessage) -> Void
            let health: @Sendable (TransportFailure?) -> Void
        }

        let client: PostgresClient
        let schemaName: String
        let options: PostgresStoreOptions
        /// For postgres-nio's statements: the user's logger, or a silent one.
        let logger: Logger
        let wakeUps = WakeUps()
        let state = Locked(State())
        /// Test hook: LISTEN on this channel instead of the schema's, so that LISTEN delivers
        /// nothing (what a pooler in transaction mode does).
        let listenChannelOverride: String?

        init(
            client: PostgresClient,
            schema: String,
            options: PostgresStoreOptions,
            listenChannelOverride: String? = nil
        ) {
            self.client = client
            self.schemaName = schema
            self.options = options
            self.listenChannelOverride = listenChannelOverride
            if let logger = options.logger {
                self.logger = logger
            } else {
                var silent = Logger(label: "EventBusPostgres")
                silent.logLevel = .critical
                self.logger = silent
            }
        }

        deinit {
            state.withLock { $0.listener }?.cancel()
        }

        /// "postgres schema shop (client 0x…)": never the server's address or credentials.
        var identity: String { "postgres schema \(schemaName) (client \(ObjectIdentifier(client)))" }

        var groups: (any GroupStore)? { self }

        /// ``claimBatch(group:owner:limit:)``, saying on the store's logger when claims start
        /// failing (consumers keep polling) and when they work again: a consumer loop has nobody
        /// else to tell.
        func claim(group: String, owner: String, limit: Int, readableVersion: Int) async throws -> [ClaimedRecord] {
            do {
                let claimed = try await claimBatch(
                    group: group,
                    owner: owner,
                    limit: limit,
                    readableVersion: readableVersion
                )
                if state.withLock({ $0.claimsFailing }) {
                    let recovered = state.withLock { state -> Bool in
                        defer { state.claimsFailing = false }
                        return state.claimsFailing
                    }
                    if recovered { options.logger?.info("EventBus: consumer groups claim from PostgreSQL again") }
                }
                return claimed
            } catch {
                let first = state.withLock { state -> Bool in
                    defer { state.claimsFailing = true }
                    return !state.claimsFailing
                }
                if first {
                    options.logger?.warning(
                        "EventBus: consumer groups cannot claim from PostgreSQL; retrying every poll",
                        metadata: ["eventbus.error": "\(failure(error))"]
                    )
                }
                throw error
            }
        }

        func failure(_ error: any Error) -> any Error {
            PostgresStoreError.translating(error)
        }

        var claiming: (batch: Int, lease: Duration, poll: Duration) {
            (options.batchSize, options.lease, options.pollInterval)
        }

        var settling: (batch: Int, delay: Duration) {
            (options.settleBatchSize, options.settleDelay)
        }

        /// How consumers are woken now.
        var wakeMode: WakeMode { state.withLock { $0.mode } }

        /// The schema, validated once.
        func schema() throws -> PostgresSchema {
            if let schema = state.withLock({ $0.schema }) { return schema }
            let schema = try PostgresSchema(validating: schemaName)
            state.withLock { $0.schema = schema }
            return schema
        }

        /// Applies the migrations once per store value (idempotent in the database).
        func prepare() async throws -> PostgresSchema {
            let schema = try self.schema()
            if state.withLock({ $0.migrated }) { return schema }
            try await schema.migrate(self)
            state.withLock { $0.migrated = true }
            return schema
        }

        func storage<E: Event>(
            forMailbox name: String,
            of type: E.Type,
            codec: any EventCodec<E>,
            context: StoreContext
        ) throws -> any QueueStorage<Envelope<E>> {
            throw PostgresStoreError.consumeOnly(group: name)
        }

        func removeMailbox(named name: String, context: StoreContext) throws {
            throw PostgresStoreError.removeWithPostgresGroups(group: name)
        }

        func purgeMailbox(named name: String, context: StoreContext) async throws -> PurgeReport {
            try await purge(group: name)
        }

        /// Deletes the group's deliveries (visible, delayed, leased) and dead letters in one
        /// transaction; it stays declared.
        func purge(group: String) async throws -> PurgeReport {
            let schema = try await prepare()
            let logger = self.logger
            return try await transaction("purge group \(group)") { connection in
                func deleted(_ query: PostgresQuery) async throws -> Int {
                    var count = 0
                    for try await value in try await connection.query(query, logger: logger).decode(Int64.self) {
                        count = Int(value)
                    }
                    return count
                }
                let pending = try await deleted(
                    """
                    WITH gone AS (DELETE FROM \(unescaped: schema.deliveries) WHERE group_name = \(group) RETURNING 1)
                    SELECT count(*)::bigint FROM gone
                    """
                )
                let deadLetters = try await deleted(
                    """
                    WITH gone AS (DELETE FROM \(unescaped: schema.deadLetters) WHERE group_name = \(group) RETURNING 1)
                    SELECT count(*)::bigint FROM gone
                    """
                )
                return PurgeReport(pending: pending, deadLetters: deadLetters)
            }
        }

        func declare(group: String, eventName: String) async throws {
            let schema = try await prepare()
            try await execute(
                "declare group \(group)",
                """
                INSERT INTO \(unescaped: schema.groups) (group_name, event_name) VALUES (\(group), \(eventName))
                ON CONFLICT DO NOTHING
                """
            )
        }

        func wake(group: String) {
            wakeUps.wake(group: group)
        }

        /// The group's notifications so far (and this process's own wake-ups).
        func wakeGeneration(of group: String) -> UInt64 {
            wakeUps.generation(of: group)
        }

        /// Waits for a notification naming `group` (returning at once when one came since
        /// `generation`); polls (with ±20 % jitter) until LISTEN has proven itself, and when it
        /// has, wakes by itself when the group's earliest delayed event or lease falls due.
        func waitForWork(group: String, timeout: Duration, since generation: UInt64) async {
            startListening()
            var wait = timeout * Double.random(in: 0.8...1.2)
            if wakeMode == .listening {
                let due = try? await untilDue(group: group)
                wait = min(due ?? timeout * 10, timeout * 10)
            }
            guard wait > .zero else { return }
            await wakeUps.wait(group: group, timeout: wait, since: generation)
        }

        /// The time until the earliest of the group's events that waits (delayed, backing off, or
        /// leased) is due; nil when none waits.
        private func untilDue(group: String) async throws -> Duration? {
            let schema = try self.schema()
            let logger = self.logger
            let seconds = try await run("look for due events of group \(group)") { connection in
                let rows = try await connection.query(
                    """
                    SELECT extract(epoch FROM least(
                        min(visible_at) FILTER (WHERE lease_owner IS NULL AND visible_at > now() AND acked_at IS NULL),
                        min(lease_expires_at) FILTER (WHERE lease_owner IS NOT NULL)) - now())::float8
                    FROM \(unescaped: schema.deliveries) WHERE group_name = \(group)
                    """,
                    logger: logger
                )
                var seconds: Double?
                for try await value in rows.decode(Double?.self) { seconds = value }
                return seconds
            }
            return seconds.map { .milliseconds(max(0, Int64($0 * 1000)) + 1) }
        }

        /// The store's NOTIFY channel, as publishes use it.
        func channel() throws -> String { try schema().channel }
    }
#endif
