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

        /// The defaults.
        public init(
            batchSize: Int = 16,
            lease: Duration = .seconds(30),
            pollInterval: Duration = .seconds(1),
            notifyOnPublish: Bool = true,
            listen: Bool = true,
            logger: Logger? = nil,
            newerVersionTimeout: Duration = .seconds(900),
            responderHeartbeat: Duration = .seconds(5)
        ) {
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
