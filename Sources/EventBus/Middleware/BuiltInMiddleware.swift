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
