#if PostgresSupport
    /// What the PostgreSQL store refuses (its other failures are postgres-nio's errors, which
    /// do not show credentials or statements' values).
    public enum PostgresStoreError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The schema name is not a lowercase identifier `[a-z_][a-z0-9_]{0,39}`.
        case invalidSchema(String)
        /// `bus.removeMailbox(_:)` cannot delete a consumer group's rows (it is synchronous):
        /// use ``PostgresGroups/remove(group:)``.
        case removeWithPostgresGroups(group: String)
        /// A consumer group is consumed by the bus (`bus.consume(_:mailbox:…)`): `subscribe`,
        /// `receive` and `send` do not reach it.
        case consumeOnly(group: String)
        /// A transactional publish or consumer was given a store (or mailbox) that is not a
        /// PostgreSQL store: only `DurableStore.postgres(…)` takes part in your transaction.
        case notPostgres(String)

        /// A sentence for people.
        public var description: String {
            switch self {
            case .invalidSchema(let name):
                "invalid schema name \"\(name)\": use 1 to 40 of a-z 0-9 _, not starting with a digit"
            case .removeWithPostgresGroups(let group):
                "consumer group \(group) stopped in this process; delete it from the database with "
                    + "PostgresGroups.remove(group:)"
            case .notPostgres(let what):
                "\(what) is not in a PostgreSQL store (DurableStore.postgres): only its consumer groups "
                    + "take part in a PostgreSQL transaction"
            case .consumeOnly(let group):
                "\(group) is a PostgreSQL consumer group: consume it with bus.consume(_:mailbox:…)"
            }
        }
    }
#endif
