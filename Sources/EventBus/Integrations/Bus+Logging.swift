#if LoggingSupport
    import EventLog
    import EventQueue
    import Logging

    // Trait LoggingSupport: what the bus logs through `BusConfiguration.logger`. Levels follow
    // swift-log's guide for libraries: nothing above info.
    extension Bus {
        /// Installs the middleware that logs each event (trace) and overflow drops (debug), only when
        /// the logger would print them: at info and above the hot path stays without middleware.
        func installLogging() {
            guard configuration.logger.logLevel <= .debug else { return }
            use(LoggingMiddleware(logger: configuration.logger))
        }

        /// A handler failure: a dead letter at info, any other failure (retried or reported) at debug,
        /// and a handler cancelled by a stop (its event stays, if durable) at debug.
        func logFailure(_ failure: HandlerFailure) {
            let logger = configuration.logger
            let metadata: () -> Logger.Metadata = {
                var metadata: Logger.Metadata = [
                    MessagingNames.eventID: "\(failure.eventID)",
                    MessagingNames.eventName: "\(failure.eventName)",
                    MessagingNames.attempt: "\(failure.attempt)",
                    "eventbus.strategy": "\(failure.strategy)",
                    MessagingNames.errorTypeKey: "\(MessagingNames.errorType(failure.error))",
                    "error.message": "\(failure.error)",
                ]
                if let mailbox = failure.mailbox {
                    metadata[MessagingNames.mailbox] = "\(MessagingNames.destination(mailbox))"
                }
                return metadata
            }
            if failure.error is CancellationError && isShutDown {
                logger.debug("event handler cancelled as the bus stopped", metadata: metadata())
            } else if failure.deadLettered {
                logger.info("event dead-lettered after its last attempt", metadata: metadata())
            } else {
                logger.debug("event handler failed", metadata: metadata())
            }
        }

        /// Logs, at info, every event `queue` moves to its dead letters that no handler failure of
        /// the bus reported: a subscriber's last nack, a visibility timeout that ran out for the
        /// last time. (A consumer the bus runs reports its own, through ``logFailure(_:)``.)
        func logDeadLetters<T>(of queue: WorkQueue<T>, eventName: String) {
            let logger = configuration.logger
            let mailbox = MessagingNames.destination(queue.name)
            queue.observeDeadLetters { note in
                logger.info(
                    "event dead-lettered after its last attempt",
                    metadata: [
                        MessagingNames.eventID: "\(note.id)",
                        MessagingNames.eventName: "\(eventName)",
                        MessagingNames.mailbox: "\(mailbox)",
                        MessagingNames.attempt: "\(note.attempts)",
                        "eventbus.dead_letter.reason": "\(note.reason)",
                    ]
                )
            }
        }

        /// What a durable mailbox found and repaired when it opened: at info when it found anything,
        /// at debug for an empty mailbox.
        func logRecovery(of queue: any ManagedQueue) {
            guard let report = queue.recoveryReport else { return }
            let found =
                report.records > 0 || report.truncatedBytes > 0 || report.quarantinedRanges > 0
                || !report.undecodable.isEmpty || !report.warnings.isEmpty
            configuration.logger.log(
                level: found ? .info : .debug,
                "durable mailbox recovered",
                metadata: [
                    MessagingNames.mailbox: "\(MessagingNames.destination(queue.name))",
                    "eventbus.recovery.records": "\(report.records)",
                    "eventbus.recovery.pending": "\(report.pending)",
                    "eventbus.recovery.interrupted": "\(report.interrupted)",
                    "eventbus.recovery.dead_letters": "\(report.deadLetters)",
                    "eventbus.recovery.truncated_bytes": "\(report.truncatedBytes)",
                    "eventbus.recovery.quarantined_ranges": "\(report.quarantinedRanges)",
                    "eventbus.recovery.warnings": "\(report.warnings.joined(separator: "; "))",
                ]
            )
        }
    }
#endif
