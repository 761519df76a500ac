import EventLog
import EventQueue
import Synchronization

/// Gives every event a correlation id: the one it was published with, the one inherited from
/// the event being handled, or else its own id. Handlers downstream can then group everything a
/// request caused.
public struct CorrelationIDMiddleware: Middleware {
    /// Creates the middleware.
    public init() {}

    /// Fills in a missing correlation id.
    public func willPublish(_ envelope: inout PublishEnvelope) throws {
        if envelope.metadata.correlationID == nil {
            envelope.metadata.correlationID = envelope.metadata.id.description
        }
    }
}

/// Rejects events for which `isIncluded` is false: `publish` throws ``EventRejected`` and
/// nobody receives the event.
public struct FilterMiddleware: Middleware {
    let isIncluded: @Sendable (PublishEnvelope) -> Bool
    let reason: String

    /// Creates a filter.
    public init(reason: String = "filtered", _ isIncluded: @escaping @Sendable (PublishEnvelope) -> Bool) {
        self.isIncluded = isIncluded
        self.reason = reason
    }

    /// Throws ``EventRejected`` for excluded events.
    public func willPublish(_ envelope: inout PublishEnvelope) throws {
        guard isIncluded(envelope) else {
            throw EventRejected(eventName: envelope.eventName, eventID: envelope.metadata.id, reason: reason)
        }
    }
}

/// A middleware refused to let an event be published.
public struct EventRejected: Error, Sendable, Hashable, CustomStringConvertible {
    /// The event's type name.
    public let eventName: String
    /// The event's id.
    public let eventID: EventID
    /// Why.
    public let reason: String

    /// Creates the error.
    public init(eventName: String, eventID: EventID, reason: String) {
        self.eventName = eventName
        self.eventID = eventID
        self.reason = reason
    }

    /// "OrderPlaced <id> was rejected: filtered".
    public var description: String { "\(eventName) \(eventID) was rejected: \(reason)" }
}

/// Records every publish and every handler invocation with its outcome and duration, at the
/// moment it happens. EventBusTesting's recorder builds on it.
public final class RecordingMiddleware: Middleware {
    /// One handler invocation.
    public struct Invocation: Sendable {
        /// What was invoked.
        public let invocation: HandlerInvocation
        /// The error it threw, if any.
        public let error: (any Error)?
        /// How long it took.
        public let duration: Duration
    }

    private struct State {
        var published: [PublishEnvelope] = []
        var invocations: [Invocation] = []
    }

    private let state = Locked(State())

    /// Creates an empty recorder.
    public init() {}

    /// Every event that passed `willPublish`, in publish order.
    public var published: [PublishEnvelope] { state.withLock { $0.published } }

    /// Every handler invocation, in completion order.
    public var invocations: [Invocation] { state.withLock { $0.invocations } }

    /// Records the envelope.
    public func willPublish(_ envelope: inout PublishEnvelope) throws {
        let copy = envelope
        state.withLock { $0.published.append(copy) }
    }

    /// Records the invocation.
    public func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
        let start = ContinuousClock.now
        do {
            try await next()
            let duration = ContinuousClock.now - start
            state.withLock { $0.invocations.append(Invocation(invocation: invocation, error: nil, duration: duration)) }
        } catch {
            let duration = ContinuousClock.now - start
            state.withLock {
                $0.invocations.append(Invocation(invocation: invocation, error: error, duration: duration))
            }
            throw error
        }
    }
}

/// Fails a handler invocation that takes longer than `limit`: the invocation throws
/// ``HandlerTimedOut`` and is retried or dead-lettered like any other failure.
///
/// For observers, `consume` handlers (mailbox and point-to-point) and responders the handler runs
/// in a child task that is cancelled when the limit passes, so a handler waiting on anything
/// cancellable (a sleep, I/O, another task) is interrupted. Swift cannot interrupt code that
/// ignores cancellation; such a handler is reported when it returns. Callbacks run isolated to
/// their actor and cannot move to a child task: an overrunning callback is failed when it returns.
public struct HandlerTimeoutMiddleware: Middleware {
    /// The longest a handler may take.
    public let limit: Duration
    let clock: any QueueClock

    /// Creates the middleware; `clock` is the time source (inject a manual clock in tests).
    public init(_ limit: Duration, clock: any QueueClock = SystemQueueClock()) {
        self.limit = limit
        self.clock = clock
    }

    /// Fails callbacks and inline callbacks that returned after the limit (the other strategies are
    /// cut off by the bus).
    public func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
        let start = clock.now
        try await next()
        if invocation.strategy == .callback || invocation.strategy == .inlineCallback, clock.now - start > limit {
            throw HandlerTimedOut(eventName: invocation.eventName, limit: limit)
        }
    }
}

/// A handler took longer than its ``HandlerTimeoutMiddleware`` allows.
public struct HandlerTimedOut: Error, Sendable, Hashable, CustomStringConvertible {
    /// The event's type name.
    public let eventName: String
    /// The limit that was exceeded.
    public let limit: Duration

    /// Creates the error.
    public init(eventName: String, limit: Duration) {
        self.eventName = eventName
        self.limit = limit
    }

    /// "handler for OrderPlaced did not finish within 1 second".
    public var description: String { "handler for \(eventName) did not finish within \(limit)" }
}

extension MiddlewareStack {
    /// Runs a Sendable handler inside the middleware chain, in a child task cut off at the
    /// applicable time limit (if any).
    @usableFromInline
    func invokeSendable(
        _ invocation: HandlerInvocation,
        eventType: Any.Type,
        _ handler: @escaping @Sendable () async throws -> Void
    ) async throws {
        let chain = chain(for: eventType)
        guard let timeout = chain.timeLimit else {
            return try await invoke(invocation, chain: chain.middlewares, handler)
        }
        try await invoke(invocation, chain: chain.middlewares) {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                let deadline = timeout.clock.now + timeout.limit
                group.addTask {
                    try await handler()
                    return true
                }
                group.addTask {
                    try await timeout.clock.sleep(until: deadline)
                    return false
                }
                defer { group.cancelAll() }
                guard let finished = try await group.next(), finished else {
                    throw HandlerTimedOut(eventName: invocation.eventName, limit: timeout.limit)
                }
            }
        }
    }
}

/// A middleware returned from `invoke` without calling `next`, so a responder produced no answer.
public struct HandlerSkipped: Error, Sendable, Hashable, CustomStringConvertible {
    /// The request's type name.
    public let eventName: String

    /// Creates the error.
    public init(eventName: String) {
        self.eventName = eventName
    }

    /// "a middleware skipped the responder of GetQuote".
    public var description: String { "a middleware skipped the responder of \(eventName); there is no response" }
}
