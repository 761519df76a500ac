#if PostgresSupport
    import PostgresNIO

    /// How a PostgreSQL store claims and wakes its consumers: `DurableStore/postgres(_:schema:options:)`.
    public struct PostgresStoreOptions: Sendable {
        /// Events a consumer claims at once (one statement per batch). Default 16.
        public var batchSize: Int
        /// How long a claim lasts: a consumer that has not settled an event by then loses it to
        /// the next claimant, and its acknowledgement no longer counts. Longer than your slowest
        /// handler. Default 30 seconds.
        public var lease: Duration
        /// How often an idle consumer looks for work without a wake-up (jittered by ±20 %): the
        /// fallback when LISTEN does not deliver, and when delayed or retried events fall due.
        /// Default 1 second.
        public var pollInterval: Duration
        /// Whether a publish sends NOTIFY for each group it stored into. NOTIFY takes a lock at
        /// commit that serialises committing publishers; switch it off for high publish rates and
        /// rely on polling. Default true.
        public var notifyOnPublish: Bool
        /// Whether consumers LISTEN for wake-ups (one connection of the client per store, held
        /// while consumers run). Without it, or when the start-up self-test finds that LISTEN
        /// delivers nothing (a pooler in transaction mode), consumers poll. Default true.
        public var listen: Bool
        /// Where the store says, once, that it fell back to polling (nil: nowhere). Never given
        /// credentials.
        public var logger: Logger?
        /// How long an event stored with a newer schema version than a consumer's type waits for
        /// an instance that reads it (a rolling deploy) before a consumer that cannot read it
        /// claims it and dead-letters it with the reason "unknown version" — to requeue once the
        /// newer build runs. Default 15 minutes.
        public var newerVersionTimeout: Duration
        /// How often a transport's responders renew their registration (`Transport.postgres`);
        /// one not renewed for three of these is dead, and gets no requests. Default 5 seconds.
        public var responderHeartbeat: Duration
        /// The bound of every operation of the store — each statement or transaction, with the wait
        /// for a connection of the client: declaring, publishing, sending, claiming, settling,
        /// heartbeats, ``PostgresGroups`` — measured by the store itself (postgres-nio bounds
        /// connects, not statements). Past it the operation throws
        /// ``PostgresStoreError/unreachable(server:operation:cause:)`` (or, for a write that was
        /// sent, ``PostgresStoreError/outcomeUnknown(server:operation:cause:)``), and a connection that
        /// waited is closed, so that the pool discards it rather than keep it stuck behind a dropped
        /// link. Consumers retry by themselves. Longer than your slowest statement (a purge of a
        /// large group). A schema migration (on a schema's first use by a new build: DDL that waits
        /// for the schema's lock while other instances start) is bounded by twelve times this.
        /// Default 5 seconds.
        public var operationTimeout: Duration
        /// The server's address as the store names it in its errors, and probes it when the client
        /// gives no connection in time (to tell a refused connection from a dropped link):
        /// `"host:port"`, `"[v6]:port"` or `"host"` (port 5432). Never credentials. The store cannot
        /// read it from a `PostgresClient`; nil: errors name the cause without the address, and a
        /// client that gives no connection is reported as timed out. Default nil.
        public var server: String?
        /// How many acknowledgements and retries of a `consume` loop are written together, in one
        /// statement: they are flushed when this many have gathered, when the oldest has waited
        /// ``settleDelay``, and before the loop waits for work or stops. A crash loses at most these
        /// (their events are delivered again after the lease: at least once). 1: one statement per
        /// event. `subscribe` and `receive` do not wait: an `ack()` returns once its own statement
        /// committed, shared with the acknowledgements that came meanwhile. Default 32.
        public var settleBatchSize: Int
        /// How long a `consume` loop's oldest unwritten acknowledgement or retry waits for others
        /// to share its statement (see ``settleBatchSize``). Default 10 milliseconds.
        public var settleDelay: Duration

        /// The defaults.
        public init(
            batchSize: Int = 16,
            lease: Duration = .seconds(30),
            pollInterval: Duration = .seconds(1),
            notifyOnPublish: Bool = true,
            listen: Bool = true,
            logger: Logger? = nil,
            newerVersionTimeout: Duration = .seconds(900),
            responderHeartbeat: Duration = .seconds(5),
            operationTimeout: Duration = .seconds(5),
            server: String? = nil,
            settleBatchSize: Int = 32,
            settleDelay: Duration = .milliseconds(10)
        ) {
            self.operationTimeout = operationTimeout > .zero ? operationTimeout : .seconds(5)
            self.server = server
            self.settleBatchSize = max(1, settleBatchSize)
            self.settleDelay = settleDelay
            self.responderHeartbeat = responderHeartbeat
            self.batchSize = max(1, batchSize)
            self.lease = lease
            self.pollInterval = pollInterval
            self.notifyOnPublish = notifyOnPublish
            self.listen = listen
            self.logger = logger
            self.newerVersionTimeout = newerVersionTimeout
        }
    }
#endif
