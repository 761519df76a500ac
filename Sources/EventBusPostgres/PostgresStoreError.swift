#if PostgresSupport
    import PostgresNIO

    /// What the PostgreSQL store refuses, and what the database said when a statement failed
    /// (``database(_:)``, in place of postgres-nio's description, which says nothing lest it show
    /// values). Never credentials.
    public enum PostgresStoreError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The schema name is not a lowercase identifier `[a-z_][a-z0-9_]{0,39}`.
        case invalidSchema(String)
        /// `bus.removeMailbox(_:)` cannot delete a consumer group's rows (it is synchronous):
        /// use ``PostgresGroups/remove(group:)``.
        case removeWithPostgresGroups(group: String)
        /// A PostgreSQL mailbox was asked for the storage of a local queue: its events live in the
        /// database, shared by every instance (the bus reaches them as a consumer group or a stored
        /// queue, never so; only a custom use of the store would).
        case consumeOnly(group: String)
        /// A transactional publish or consumer was given a store (or mailbox) that is not a
        /// PostgreSQL store: only `DurableStore.postgres(…)` takes part in your transaction.
        case notPostgres(String)
        /// The database refused a statement or could not be reached: the server's message, detail
        /// and SQLSTATE, or the network's error (postgres-nio's own description of it says
        /// nothing, lest it show values). Never the login.
        case database(String)

        /// A sentence for people.
        public var description: String {
            switch self {
            case .invalidSchema(let name):
                "invalid schema name \"\(name)\": use 1 to 40 of a-z 0-9 _, not starting with a digit"
            case .removeWithPostgresGroups(let group):
                "consumer group \(group) stopped in this process; delete it from the database with "
                    + "PostgresGroups.remove(group:)"
            case .database(let what):
                "PostgreSQL: \(what)"
            case .notPostgres(let what):
                "\(what) is not in a PostgreSQL store (DurableStore.postgres): only its consumer groups "
                    + "take part in a PostgreSQL transaction"
            case .consumeOnly(let group):
                "\(group) is a PostgreSQL mailbox: its events live in the database, not in a local queue"
            }
        }
    }

    extension PostgresStoreError {
        /// The server's message, detail and SQLSTATE, or the network's error; never the
        /// statement's values beyond what the server quotes, nor the login.
        package static func describe(_ error: PSQLError) -> String {
            if let info = error.serverInfo, let message = info[.message] {
                var text = message
                if let detail = info[.detail] { text += " (\(detail))" }
                if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
                return text
            }
            if let underlying = error.underlying { return String(describing: underlying) }
            return "\(error.code)"
        }

        /// `error` with postgres-nio's generic description replaced by ``database(_:)``.
        package static func translating(_ error: any Error) -> any Error {
            switch error {
            case let error as PSQLError:
                return PostgresStoreError.database(describe(error))
            case let error as PostgresTransactionError:
                if let cause = error.closureError ?? error.commitError ?? error.beginError {
                    return translating(cause)
                }
                return error
            default:
                return error
            }
        }
    }
#endif
