#if PostgresSupport
    /// Why a PostgreSQL store got no answer from its server: the cause in
    /// ``PostgresStoreError/unreachable(server:operation:cause:)`` and
    /// ``PostgresStoreError/outcomeUnknown(server:operation:cause:)``.
    public enum PostgresNetworkCause: Sendable, Hashable, CustomStringConvertible {
        /// Nothing listens at the address (the server is stopped, or the port is wrong).
        case refused
        /// No answer within the bound (``PostgresStoreOptions/operationTimeout``): packets are dropped
        /// (a partition, a firewall) or the server hangs. The connection that waited was discarded.
        case timedOut(after: Duration)
        /// The server closed the connection (it shut down or restarted, or an administrator ended
        /// the session), with its message when it sent one.
        case closedByServer(String)
        /// No route to the address (a network down), or a name that does not resolve.
        case unreachable(String)
        /// The server accepts connections, but the client's pool handed the store none within the
        /// bound (every connection busy, or the pool still backing off after failed connects).
        case noConnection(after: Duration)
        /// Another network error, as the system described it.
        case other(String)

        /// A sentence for people.
        public var description: String {
            switch self {
            case .refused:
                "connection refused (nothing listens there: the server is stopped, or the port is wrong)"
            case .timedOut(let after):
                "no answer within \(after) (packets dropped, or the server hangs); the connection was discarded"
            case .closedByServer(let message):
                "the server closed the connection" + (message.isEmpty ? "" : ": \(message)")
            case .unreachable(let reason):
                "unreachable: \(reason)"
            case .noConnection(let after):
                "the server accepts connections, but the client's pool gave none within \(after) (all busy, or "
                    + "backing off after failed connects)"
            case .other(let reason):
                reason
            }
        }
    }
#endif
