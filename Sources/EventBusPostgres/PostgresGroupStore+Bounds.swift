#if PostgresSupport
    import EventBus
    import EventLog
    import PostgresNIO

    // Every statement of the store runs here: on a connection of the user's client, within a bound
    // the store enforces itself (postgres-nio has a connect timeout, but no statement timeout, and
    // a lease waits for its pool until the pool's circuit breaker opens a minute later). A
    // connection stuck behind a dropped link is closed (the pool discards it), not left to hang
    // until TCP gives up; the error names the network's cause and the server's address.
    extension PostgresGroupStore {
        /// Runs `body` on a connection of the client within `timeout` (default
        /// ``PostgresStoreOptions/operationTimeout``). A network failure is
        /// ``PostgresStoreError/unreachable(server:operation:cause:)`` — or, for a write that was
        /// sent (`uncertain`, once a connection was leased), ``PostgresStoreError/outcomeUnknown(server:operation:cause:)``;
        /// the server's refusal is ``PostgresStoreError/database(_:)``. Cancelling the caller ends
        /// the wait at once.
        func run<T: Sendable>(
            _ operation: String,
            timeout: Duration? = nil,
            uncertain: Bool = false,
            _ body: @escaping @Sendable (PostgresConnection) async throws -> T
        ) async throws -> T {
            let client = self.client
            return try await race(operation, bound: timeout ?? options.operationTimeout, uncertain: uncertain) {
                attempt in
                try await client.withConnection { connection in
                    guard attempt.lease(connection) else { throw CancellationError() }
                    return try await body(connection)
                }
            }
        }

        /// ``run(_:timeout:uncertain:_:)`` on the caller's connection (a statement inside the
        /// caller's transaction): past the bound the connection is closed — the transaction cannot
        /// commit then, so nothing took effect.
        func bounded<T: Sendable>(
            _ operation: String,
            on connection: PostgresConnection,
            timeout: Duration? = nil,
            _ body: @escaping @Sendable (PostgresConnection) async throws -> T
        ) async throws -> T {
            try await race(operation, bound: timeout ?? options.operationTimeout, uncertain: false, probing: false) {
                attempt in
                guard attempt.lease(connection) else { throw CancellationError() }
                return try await body(connection)
            }
        }

        /// `work` against the bound: the first to end answers the caller, who is never kept past
        /// the bound (nor past its own cancellation). Halfway without a connection, a probe of the
        /// server's address (`probing`) asks the network why, meanwhile.
        private func race<T: Sendable>(
            _ operation: String,
            bound: Duration,
            uncertain: Bool,
            probing: Bool = true,
            _ work: @escaping @Sendable (BoundedAttempt<T>) async throws -> T
        ) async throws -> T {
            let attempt = BoundedAttempt<T>()
            let server = probing ? options.server : nil
            do {
                return try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        attempt.race.start(continuation)
                        attempt.race.add(
                            Task {
                                do {
                                    attempt.race.finish(.success(try await work(attempt)))
                                } catch {
                                    attempt.race.finish(.failure(error))
                                }
                            }
                        )
                        attempt.race.add(
                            Task {
                                guard (try? await Task.sleep(for: bound / 2)) != nil else { return }
                                if !attempt.hasConnection, let server {
                                    attempt.probing(Task { await NetworkProbe.probe(server, timeout: bound / 2) })
                                }
                                guard (try? await Task.sleep(for: bound / 2)) != nil else { return }
                                attempt.timeOut()
                            }
                        )
                    }
                } onCancel: {
                    attempt.race.finish(.failure(CancellationError()))
                }
            } catch {
                throw await failure(
                    error,
                    operation: operation,
                    bound: bound,
                    leased: attempt.hasConnection,
                    uncertain: uncertain,
                    probe: attempt.probe
                )
            }
        }

        /// ``run(_:timeout:uncertain:_:)`` of a transaction: `BEGIN`, `body`, `COMMIT` (or
        /// `ROLLBACK`). The transaction tells the server to end it by itself if the session stays
        /// idle in it (the link dropped between two of its statements) for twice the bound, so that
        /// its locks are not held until TCP notices.
        func transaction<T: Sendable>(
            _ operation: String,
            timeout: Duration? = nil,
            _ body: @escaping @Sendable (PostgresConnection) async throws -> T
        ) async throws -> T {
            let logger = self.logger
            let idle = Int64(Self.seconds((timeout ?? options.operationTimeout) * 2) * 1000) + 1
            return try await run(operation, timeout: timeout) { connection in
                try await connection.withTransaction(logger: logger) { connection in
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "SET LOCAL idle_in_transaction_session_timeout = \(idle)"),
                        logger: logger
                    )
                    return try await body(connection)
                }
            }
        }

        /// Runs a statement within the bound and counts the rows it returned.
        func count(_ operation: String, _ query: PostgresQuery, uncertain: Bool = false) async throws -> Int {
            let logger = self.logger
            return try await run(operation, uncertain: uncertain) { connection in
                try await Self.count(query, on: connection, logger: logger)
            }
        }

        /// Runs a statement within the bound, its rows ignored.
        func execute(_ operation: String, _ query: PostgresQuery, uncertain: Bool = false) async throws {
            _ = try await count(operation, query, uncertain: uncertain)
        }

        /// What a failed bounded statement throws: a network cause, or the server's refusal.
        func failure(
            _ error: any Error,
            operation: String,
            bound: Duration,
            leased: Bool,
            uncertain: Bool,
            probe: Task<NetworkProbe.Outcome, Never>?
        ) async -> any Error {
            if error is CancellationError { return error }
            let cause: PostgresNetworkCause
            switch Self.networkCause(of: error) {
            case .some(let known):
                cause = known
            case .none where error is BoundTimedOut:
                if leased {
                    cause = .timedOut(after: bound)
                } else {
                    // No connection came: the pool keeps its connect errors to itself, so the probe
                    // (started halfway) says what the network does.
                    cause = Self.cause(of: await probe?.value, bound: bound)
                }
            case .none where Self.poolError(error) == "poolShutdown":
                return PostgresStoreError.database("the client (PostgresClient) is shut down: its run() ended")
            case .none where Self.poolError(error) == "requestCancelled":
                return CancellationError()
            case .none where Self.poolError(error) != nil:
                // The pool's circuit breaker is open (its connects failed for a minute): ask the
                // network why, briefly.
                let outcome: NetworkProbe.Outcome? =
                    if let server = options.server {
                        await NetworkProbe.probe(server, timeout: min(bound, .milliseconds(500)))
                    } else {
                        nil
                    }
                cause = Self.cause(of: outcome, bound: bound)
            case .none:
                return PostgresStoreError.translating(error)
            }
            if uncertain && leased {
                return PostgresStoreError.outcomeUnknown(server: options.server, operation: operation, cause: cause)
            }
            return PostgresStoreError.unreachable(server: options.server, operation: operation, cause: cause)
        }

        /// The case of postgres-nio's pool error (a type of a module it does not export), nil for
        /// any other error: "poolShutdown", "requestCancelled", "connectionCreationCircuitBreakerTripped".
        static func poolError(_ error: any Error) -> String? {
            guard String(describing: type(of: error)) == "ConnectionPoolError" else { return nil }
            let text = String(describing: error)
            for known in ["poolShutdown", "requestCancelled", "connectionCreationCircuitBreakerTripped"]
            where text.contains(known) {
                return known
            }
            return text
        }

        /// The cause a probe found (none: nothing answered within the bound).
        static func cause(of outcome: NetworkProbe.Outcome?, bound: Duration) -> PostgresNetworkCause {
            switch outcome {
            case .refused?: .refused
            case .connected?: .noConnection(after: bound)
            case .unreachable(let reason)?: .unreachable(reason)
            case .failed(let reason)?: .other(reason)
            case .timedOut?, nil: .timedOut(after: bound)
            }
        }

        /// The network's cause in a postgres-nio error; nil when the server answered (its refusal is
        /// not a network failure) or the error is not the network's.
        static func networkCause(of error: any Error) -> PostgresNetworkCause? {
            if let error = error as? PostgresTransactionError {
                guard let inner = error.beginError ?? error.closureError ?? error.commitError else { return nil }
                return networkCause(of: inner)
            }
            if let error = error as? IOError { return cause(errno: error.errnoCode, error) }
            if let error = error as? ChannelError {
                switch error {
                case .connectTimeout(let after):
                    return .timedOut(after: .nanoseconds(after.nanoseconds))
                case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed:
                    return .closedByServer("")
                default:
                    return .other("\(error)")
                }
            }
            guard let error = error as? PSQLError else { return nil }
            switch error.code {
            case .server:
                // Shut down, restarted, or the session terminated: the server ends the connection.
                let state = error.serverInfo?[.sqlState] ?? ""
                guard state.hasPrefix("57P") || state == "08006" || state == "08003" else { return nil }
                return .closedByServer(error.serverInfo?[.message] ?? state)
            case .clientClosedConnection:
                // Closed on this side while the statement waited: the store closes a connection that
                // stopped answering (another statement's bound passed on it), so that the pool
                // discards it.
                return .other("the connection stopped answering and was closed by the store")
            case .serverClosedConnection, .uncleanShutdown:
                if let underlying = error.underlying, let inner = networkCause(of: underlying) { return inner }
                return .closedByServer("")
            case .connectionError:
                if let underlying = error.underlying { return networkCause(of: underlying) ?? .other("\(underlying)") }
                return .other("connection error")
            default:
                return nil
            }
        }

        private static func cause(errno code: Int32, _ error: IOError) -> PostgresNetworkCause {
            switch code {
            case ECONNREFUSED: .refused
            case ECONNRESET, EPIPE: .closedByServer("connection reset")
            case ETIMEDOUT: .timedOut(after: .zero)
            case ENETUNREACH, EHOSTUNREACH, ENETDOWN, EHOSTDOWN: .unreachable(error.description)
            default: .other(error.description)
            }
        }
    }

    /// The bound of ``PostgresGroupStore/run(_:timeout:uncertain:_:)`` passed.
    struct BoundTimedOut: Error {}

    /// One bounded statement: the race of its work and its timer for the caller (`Race`), the
    /// connection the work leased (closed when the bound passes), and the probe.
    final class BoundedAttempt<T: Sendable>: Sendable {
        private struct State {
            var connection: PostgresConnection?
            var leased = false
            /// The bound passed: no connection may be used from now on.
            var timedOut = false
            var probe: Task<NetworkProbe.Outcome, Never>?
        }

        let race = Race<T>()
        private let state = Locked(State())

        /// The work got its connection; false when the race is over (it must not run).
        func lease(_ connection: PostgresConnection) -> Bool {
            state.withLock { state in
                guard !state.timedOut, !race.isFinished else { return false }
                state.connection = connection
                state.leased = true
                return true
            }
        }

        var hasConnection: Bool { state.withLock { $0.leased } }

        var probe: Task<NetworkProbe.Outcome, Never>? { state.withLock { $0.probe } }

        func probing(_ task: Task<NetworkProbe.Outcome, Never>) {
            state.withLock { $0.probe = task }
        }

        /// The bound passed: the caller gets ``BoundTimedOut``, and the connection the work holds
        /// (stuck behind the network) is closed, so that the pool discards it.
        func timeOut() {
            let connection = state.withLock { state -> PostgresConnection? in
                state.timedOut = true
                return race.isFinished ? nil : state.connection
            }
            race.finish(.failure(BoundTimedOut()))
            connection?.close().whenComplete { _ in }
        }
    }
#endif
