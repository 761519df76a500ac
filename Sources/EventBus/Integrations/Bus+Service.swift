#if ServiceLifecycleSupport
    import EventLog
    import EventQueue
    import ServiceLifecycle

    #if LoggingSupport
        import Logging
    #endif

    // Trait ServiceLifecycleSupport: the bus as a service of a swift-service-lifecycle `ServiceGroup`.
    extension Bus: Service {
        /// Runs the bus as a service of a `ServiceGroup`: returns when the bus has shut down.
        ///
        /// The bus works from the moment it is made; `run()` only waits for the end. On a graceful
        /// shutdown (SIGTERM to a group with `gracefulShutdownSignals: [.sigterm]`) it stops taking
        /// new work — `publish`, `send`, `request` and new subscriptions throw ``BusError/shutDown`` —
        /// and lets mailboxes, callbacks and consumers finish what they hold, for at most
        /// ``BusConfiguration/gracefulShutdownDeadline`` (``shutdown(draining:)``). When the task
        /// running it is cancelled (the group's escalation after its own timeout, or before any
        /// graceful shutdown) it stops at once: handlers in progress are cancelled, and unacknowledged
        /// events of durable mailboxes stay stored, to be delivered again on the next start (a stop
        /// is not counted as a failed attempt).
        ///
        /// Put the bus between what its handlers use and what publishes into it; a group shuts its
        /// services down in reverse order:
        ///
        /// ```swift
        /// let group = ServiceGroup(
        ///     services: [postgresClient, bus, httpServer],   // the server stops first, the pool last
        ///     gracefulShutdownSignals: [.sigterm],
        ///     logger: logger
        /// )
        /// try await group.run()
        /// ```
        ///
        /// ``shutdown(draining:)`` called afterwards returns the report of this shutdown.
        public func run() async throws {
            do {
                try await gracefulShutdown()
            } catch {
                // Cancelled before a graceful shutdown: nothing is given time to drain.
                let report = await shutdown(draining: .zero)
                logServiceStop(report, graceful: false)
                return
            }
            let deadline = configuration.gracefulShutdownDeadline
            let report = await withTaskCancellationHandler {
                await shutdown(draining: deadline)
            } onCancel: {
                stopAtOnce()
            }
            logServiceStop(report, graceful: !Task.isCancelled)
        }

        /// Ends every queue and consumer now, as the end of a drain does: handlers in progress are
        /// cancelled, durable deliveries in progress are given back (delivered again on the next start).
        func stopAtOnce() {
            for registered in registry.all {
                registered.queue.terminate(releasingInFlight: true)
                for consumer in registered.consumers { consumer.cancel() }
            }
        }

        private func logServiceStop(_ report: ShutdownReport, graceful: Bool) {
            #if LoggingSupport
                configuration.logger.info(
                    !graceful
                        ? "event bus stopped at once"
                        : report.drained
                            ? "event bus drained after a graceful shutdown"
                            : "event bus stopped what the drain deadline left after a graceful shutdown",
                    metadata: [
                        "eventbus.drained": "\(report.drained)",
                        "eventbus.abandoned": "\(report.abandoned)",
                    ]
                )
            #endif
        }
    }
#endif
