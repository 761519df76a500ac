#if PostgresSupport
    import EventLog
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
        /// The server could not be reached, or did not answer, within the bound
        /// (``PostgresStoreOptions/operationTimeout``): `operation` did not take effect (a publish
        /// stored nothing). `server` is the address (``PostgresStoreOptions/server``; never
        /// credentials), nil when the store was not told it. Consumers retry by themselves.
        case unreachable(server: String?, operation: String, cause: PostgresNetworkCause)
        /// A write was sent, but its answer never came (the link dropped, or the bound passed): it may
        /// or may not have taken effect. For a publish, the events may be stored: publishing them
        /// again with the same ids is safe while they are pending (a group stores an id once), and
        /// after they were handled too when the group has a dedup window.
        case outcomeUnknown(server: String?, operation: String, cause: PostgresNetworkCause)

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
            case .unreachable(let server, let operation, let cause):
                "\(Self.name(server)) cannot be reached: \(cause) (\(operation); it did not take effect)"
            case .outcomeUnknown(let server, let operation, let cause):
                "\(Self.name(server)) did not confirm \(operation): \(cause); it may or may not have taken effect"
            case .notPostgres(let what):
                "\(what) is not in a PostgreSQL store (DurableStore.postgres): only its consumer groups "
                    + "take part in a PostgreSQL transaction"
            case .consumeOnly(let group):
                "\(group) is a PostgreSQL mailbox: its events live in the database, not in a local queue"
            }
        }
    }

    extension PostgresStoreError: UncertainStoreError {
        /// Whether this is ``outcomeUnknown(server:operation:cause:)``.
        package var outcomeIsUnknown: Bool {
            if case .outcomeUnknown = self { return true }
            return false
        }
    }

    extension PostgresStoreError {
        /// "PostgreSQL at db:5432", or a hint where the address comes from.
        static func name(_ server: String?) -> String {
            server.map { "PostgreSQL at \($0)" } ?? "PostgreSQL (address not given: PostgresStoreOptions.server)"
        }

        /// Whether this is a network failure (the server could not be reached or stopped answering).
        public var isNetworkFailure: Bool {
            switch self {
            case .unreachable, .outcomeUnknown: true
            default: false
            }
        }

        /// The server's message, detail and SQLSTATE, or the network's error; never the
        /// statement's values beyond what the server quotes, nor the login.
        package static func describe(_ error: PSQLError) -> String {
            if let info = error.serverInfo, let message = info[.message] {
                var text = message
                if let detail = info[.detail] { text += " (\(detail))" }
                if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
                return text
            }
            // A nested PSQLError would describe itself as postgres-nio's "Generic description":
            // its cause is described instead.
            if let underlying = error.underlying as? PSQLError { return describe(underlying) }
            if let underlying = error.underlying { return String(describing: underlying) }
            switch error.code {
            case .serverClosedConnection, .uncleanShutdown: return "the server closed the connection"
            case .clientClosedConnection: return "the connection was closed"
            case .poolClosed: return "the client (PostgresClient) is shut down"
            case .queryCancelled: return "the statement was cancelled"
            default: return "\(error.code)"
            }
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
