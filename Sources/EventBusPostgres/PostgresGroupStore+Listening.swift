#if PostgresSupport
    import EventBus
    import EventLog
    import Foundation
    import PostgresNIO

    extension PostgresGroupStore {
        /// Starts the store's one LISTEN connection (a connection of the client, held while the
        /// store lives), unless it runs or LISTEN is switched off. It listens on the schema's
        /// channel (group wake-ups) and, once a bus's transport started on this store, on the
        /// schema's broadcast channel and the instance's own channel. Once LISTEN is up, a
        /// self-test sends a NOTIFY through another connection: if it does not come back (a pooler
        /// in transaction mode keeps no session, so LISTEN delivers nothing), consumers go on
        /// polling, and the store says so once on its logger. A connection that breaks is made
        /// again every second; meanwhile the transport reports itself unavailable.
        func startListening() {
            guard options.listen else {
                state.withLock { $0.mode = .polling }
                return
            }
            guard let schema = try? schema() else { return }
            let start = state.withLock { state -> Bool in
                guard state.listener == nil else { return false }
                // Set below, under the same lock: only one caller starts it.
                state.listener = Task {}
                return true
            }
            guard start else { return }
            // The loop holds the store weakly: a store that is released stops listening.
            let task = Task { [weak self, client, wakeUps, logger, listenChannelOverride] in
                let token = "eventbus self-test \(UInt64.random(in: 0...UInt64.max))"
                let tested = Locked(false)
                while !Task.isCancelled, let receiving = self?.state.withLock({ $0.transport != nil }) {
                    await Self.listenOnce(
                        store: { [weak self] in self },
                        client: client,
                        channels: [listenChannelOverride ?? schema.channel]
                            + (receiving ? self?.transportChannels(schema: schema) ?? [] : []),
                        schema: schema,
                        token: token,
                        tested: tested
                    )
                    if Task.isCancelled { break }
                    logger.debug("LISTEN connection ended; reconnecting")
                    self?.transportLost("the LISTEN connection to PostgreSQL ended; reconnecting")
                    // The connection broke (or the server restarted): poll meanwhile, retry soon.
                    wakeUps.wakeAll()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            state.withLock { $0.listener = task }
        }

        /// The transport's channels: the schema's broadcasts and the instance's own.
        private func transportChannels(schema: PostgresSchema) -> [String] {
            guard let receiver = state.withLock({ $0.transport }) else { return [] }
            return [schema.broadcastChannel, Self.instanceChannel(receiver.instance)]
        }

        /// One LISTEN connection on every channel, until it ends.
        private static func listenOnce(
            store: @escaping @Sendable () -> PostgresGroupStore?,
            client: PostgresClient,
            channels: [String],
            schema: PostgresSchema,
            token: String,
            tested: Locked<Bool>
        ) async {
            do {
                let entered = Locked(0)
                let count = channels.count
                try await client.withConnection { connection in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for channel in channels {
                            group.addTask {
                                try await connection.listen(on: channel) { notifications in
                                    let all = entered.withLock { entered -> Bool in
                                        entered += 1
                                        return entered == count
                                    }
                                    if all {
                                        let first = tested.withLock { tested -> Bool in
                                            defer { tested = true }
                                            return !tested
                                        }
                                        if first { store()?.selfTest(token: token, channel: schema.channel) }
                                        store()?.transportReceives()
                                        // Listening (again): consumers that backed off while the
                                        // server was away look for work now.
                                        if !first { store()?.wakeUps.wakeAll() }
                                    }
                                    for try await notification in notifications {
                                        store()?.dispatch(
                                            notification.payload,
                                            on: channel,
                                            schema: schema,
                                            token: token
                                        )
                                    }
                                }
                            }
                        }
                        // A dropped link leaves LISTEN silent, not broken: a statement on the
                        // connection every bound, itself bounded, closes it when no answer comes.
                        // Its text names it, so that `pg_stat_activity` (whose `query` shows a
                        // connection's last statement) tells the LISTEN connection from the pool's.
                        group.addTask {
                            while let store = store() {
                                let interval = store.options.operationTimeout
                                try await Task.sleep(for: interval)
                                try await store.bounded("check the LISTEN connection", on: connection) {
                                    [logger = store.logger] connection in
                                    _ = try await connection.query(
                                        "SELECT 1 -- eventbus: LISTEN connection check",
                                        logger: logger
                                    )
                                }
                            }
                        }
                        // One channel's listening ended, or the check failed: the connection is
                        // gone (closed); make it again.
                        try await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                // A listener replaced by a new one (a transport started) was cancelled: not a loss.
                if Task.isCancelled { return }
                store()?.transportLost(
                    "the LISTEN connection to PostgreSQL ended (\(PostgresStoreError.translating(error))); reconnecting"
                )
            }
        }

        /// The channel of an instance's requests and replies.
        static func instanceChannel(_ instance: String) -> String {
            "eventbus_i_\(instance)"
        }

        /// A notification: a group's wake-up or the self-test on the schema's channel; a
        /// transport's message on the others.
        private func dispatch(_ payload: String, on channel: String, schema: PostgresSchema, token: String) {
            if channel == (listenChannelOverride ?? schema.channel) {
                if payload == token {
                    listenWorks()
                } else {
                    wakeUps.wake(group: payload)
                }
                return
            }
            guard let receiver = state.withLock({ $0.transport }),
                let message = TransportWire.decode(payload)
            else { return }
            receiver.inbox(message)
        }

        /// Sends the self-test's NOTIFY, then falls back to polling unless it came back in time.
        private func selfTest(token: String, channel: String) {
            let wait = max(options.pollInterval * 2, .seconds(2))
            Task { [weak self] in
                try? await self?.execute("send the LISTEN self-test", "SELECT pg_notify(\(channel), \(token))")
                try? await Task.sleep(for: wait)
                self?.listenSilent()
            }
        }

        private func listenWorks() {
            state.withLock { $0.mode = .listening }
        }

        /// Every channel listens again: a transport that was told it was lost hears it is back.
        private func transportReceives() {
            let receiver = state.withLock { state -> TransportReceiver? in
                guard state.mode != .polling, state.transportFailure != nil else { return nil }
                state.transportFailure = nil
                return state.transport
            }
            receiver?.health(nil)
        }

        /// The LISTEN connection broke: the transport cannot receive replies or broadcasts.
        func transportLost(_ reason: String) {
            let (receiver, failure) = state.withLock { state -> (TransportReceiver?, TransportFailure?) in
                guard state.transport != nil, state.transportFailure == nil else { return (nil, nil) }
                let failure = TransportFailure(reason)
                state.transportFailure = failure
                return (state.transport, failure)
            }
            if let receiver, let failure { receiver.health(failure) }
        }

        /// The self-test's NOTIFY did not come back: poll from now on, and stop listening — the
        /// LISTEN connection goes back to the pool, and a pooler that hands LISTEN's session to
        /// other clients cannot send it notifications it does not expect. A transport cannot
        /// work so (its replies and broadcasts need LISTEN).
        private func listenSilent() {
            let (log, listener, receiver) = state.withLock {
                state -> (Bool, Task<Void, Never>?, TransportReceiver?) in
                guard state.mode != .listening else { return (false, nil, nil) }
                state.mode = .polling
                defer { state.loggedFallback = true }
                let receiver = state.transport
                if receiver != nil { state.transportFailure = Self.listenUnsupported }
                return (!state.loggedFallback, state.listener, receiver)
            }
            listener?.cancel()
            receiver?.health(Self.listenUnsupported)
            if log {
                options.logger?.warning(
                    "EventBus: LISTEN delivered no notification (a pooler in transaction mode?); consumer groups poll"
                )
            }
        }

        /// Why a transport cannot work behind a pooler that breaks LISTEN.
        static var listenUnsupported: TransportFailure {
            TransportFailure(
                "LISTEN delivers no notification on this connection (a pooler in transaction mode?): requests and "
                    + "broadcasts across instances need a session; point the client at the server"
            )
        }
    }
#endif
