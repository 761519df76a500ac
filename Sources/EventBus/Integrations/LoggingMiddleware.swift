#if LoggingSupport
    import EventLog
    import EventQueue
    import Logging

    /// Logs each publish and handler call at trace and overflow drops at debug (trait
    /// `LoggingSupport`). The bus installs it itself when its logger is at debug or below.
    struct LoggingMiddleware: Middleware {
        let logger: Logger

        func willPublish(_ envelope: inout PublishEnvelope) throws {
            logger.trace(
                "publishing event",
                metadata: [
                    MessagingNames.eventID: "\(envelope.metadata.id)",
                    MessagingNames.eventName: "\(envelope.eventName)",
                ]
            )
        }

        func didPublish(_ envelope: PublishEnvelope, result: Result<PublishReport, any Error>) {
            guard case .success(let report) = result, report.dropped > 0 else { return }
            logger.debug(
                "mailbox overflow dropped events",
                metadata: [
                    MessagingNames.eventID: "\(envelope.metadata.id)",
                    MessagingNames.eventName: "\(envelope.eventName)",
                    "eventbus.dropped": "\(report.dropped)",
                ]
            )
        }

        func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
            logger.trace(
                "handling event",
                metadata: [
                    MessagingNames.eventID: "\(invocation.metadata.id)",
                    MessagingNames.eventName: "\(invocation.eventName)",
                    MessagingNames.mailbox: "\(invocation.mailbox.map(MessagingNames.destination) ?? "")",
                    MessagingNames.attempt: "\(invocation.metadata.attempt)",
                    "eventbus.strategy": "\(invocation.strategy)",
                ]
            )
            try await next()
        }
    }
#endif
