#if PostgresSupport
    import EventBus
    import PostgresNIO

    extension PostgresGroupStore {
        /// Starts the store's one LISTEN connection (a connection of the client, held while the
        /// store lives), unless it runs or LISTEN is switched off. Once LISTEN is up, a self-test
        /// sends a NOTIFY through another connection: if it does not come back (a pooler in
        /// transaction mode keeps no session, so LISTEN delivers nothing), consumers go on polling,
        /// and the store says so once on its logger.
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
            let channel = listenChannelOverride ?? schema.channel
            let token = "eventbus self-test \(UInt64.random(in: 0...UInt64.max))"
            let task = Task { [weak self, client, wakeUps, logger] in
                while !Task.isCancelled {
                    do {
                        try await client.withConnection { connection in
                            try await connection.listen(on: channel) { notifications in
                                self?.selfTest(token: token, channel: schema.channel)
                                for try await notification in notifications {
                                    if notification.payload == token {
                                        self?.listenWorks()
                                    } else {
                                        wakeUps.wake(group: notification.payload)
                                    }
                                }
                            }
                        }
                    } catch {
                        logger.debug("LISTEN connection ended; reconnecting")
                    }
                    // The connection broke (or the server restarted): poll meanwhile, retry soon.
                    wakeUps.wakeAll()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            state.withLock { $0.listener = task }
        }

        /// Sends the self-test's NOTIFY, then falls back to polling unless it came back in time.
        private func selfTest(token: String, channel: String) {
            let client = self.client
            let logger = self.logger
            let wait = max(options.pollInterval * 2, .seconds(2))
            Task { [weak self] in
                _ = try? await client.query("SELECT pg_notify(\(channel), \(token))", logger: logger)
                try? await Task.sleep(for: wait)
                self?.listenSilent()
            }
        }

        private func listenWorks() {
            state.withLock { $0.mode = .listening }
        }

        /// The self-test's NOTIFY did not come back: poll from now on, and stop listening — the
        /// LISTEN connection goes back to the pool, and a pooler that hands LISTEN's session to
        /// other clients cannot send it notifications it does not expect.
        private func listenSilent() {
            let (log, listener) = state.withLock { state -> (Bool, Task<Void, Never>?) in
                guard state.mode != .listening else { return (false, nil) }
                state.mode = .polling
                defer { state.loggedFallback = true }
                return (!state.loggedFallback, state.listener)
            }
            listener?.cancel()
            if log {
                options.logger?.warning(
                    "EventBus: LISTEN delivered no notification (a pooler in transaction mode?); consumer groups poll"
                )
            }
        }
    }
#endif
