#if MetricsSupport
    import CoreMetrics
    import EventLog
    import EventQueue
    import Foundation

    /// Times every handler the bus runs over a queue and counts what it consumed (trait
    /// `MetricsSupport`): `messaging.process.duration`, `eventbus.queue.wait.duration` and
    /// `messaging.client.consumed.messages`, by the queue's name. Observers and responders, which
    /// take no event from a queue, are not counted. Installed by ``Bus/reportMetrics(every:factory:)``.
    struct MetricsMiddleware: Middleware {
        let instruments: MessagingInstruments

        func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
            guard let mailbox = invocation.mailbox else { return try await next() }
            let destination = MessagingNames.destination(mailbox)
            let set = instruments.destination(destination)
            // From the publish to the start of this attempt (a delayed event's delay included).
            let waited = Date().timeIntervalSince(invocation.metadata.publishedAt)
            set.waitDuration.recordNanoseconds(Int64(max(0, waited * 1_000_000_000).rounded()))
            let start = ContinuousClock.now
            do {
                try await next()
            } catch {
                set.processDuration.recordNanoseconds(nanoseconds(ContinuousClock.now - start))
                instruments.failedConsumption(destination, errorType: MessagingNames.errorType(error)).increment()
                throw error
            }
            set.processDuration.recordNanoseconds(nanoseconds(ContinuousClock.now - start))
            set.consumed.increment()
        }
    }
#endif
