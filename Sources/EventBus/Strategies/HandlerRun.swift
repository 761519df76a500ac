import EventLog
import EventQueue

/// A handler the bus runs over a queue: a callback, isolated to the actor that registered it, or
/// a consumer's `Sendable` closure (which a time-limit middleware may race in a child task).
enum HandlerBody<T: Sendable> {
    case isolated((T) async throws -> Void)
    case sendable(@Sendable (T) async throws -> Void)
}

extension Bus {
    /// Calls a handler for one event as every handler the bus runs — callbacks and consumers —
    /// is called: the event's `EventContext` bound, inside the middleware chain when one is
    /// installed. The one place both loops start a handler from.
    /// - Returns: the handler's (or a middleware's) error; nil when it returned.
    ///
    /// Inlined into each loop: as a call of its own, every event paid for one more async frame
    /// (a task allocation and its release), 10–15 % of a point-to-point delivery with four
    /// consumers (PerformanceHistory.md).
    @inline(__always)
    nonisolated(nonsending) static func run<T: Sendable>(
        _ body: HandlerBody<T>,
        _ event: T,
        metadata: EventMetadata,
        strategy: Strategy,
        subscriptionID: UInt64,
        mailbox: String,
        middlewares: MiddlewareStack
    ) async -> (any Error)? {
        do {
            try await EventContext.binding.withValue(EventContext.Current(metadata: metadata)) {
                guard middlewares.isActive else {
                    switch body {
                    case .isolated(let handler): try await handler(event)
                    case .sendable(let handler): try await handler(event)
                    }
                    return
                }
                let invocation = HandlerInvocation(
                    eventName: eventName(of: event),
                    metadata: metadata,
                    strategy: strategy,
                    subscriptionID: subscriptionID,
                    mailbox: mailbox
                )
                switch body {
                case .isolated(let handler):
                    try await middlewares.invoke(invocation, eventType: eventType(of: event)) {
                        try await handler(event)
                    }
                case .sendable(let handler):
                    try await middlewares.invokeSendable(invocation, eventType: eventType(of: event)) {
                        try await handler(event)
                    }
                }
            }
            return nil
        } catch {
            return error
        }
    }
}
