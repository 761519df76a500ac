import EventLog
import EventQueue
import Foundation

/// A pipeline stage around publishing and around every handler invocation.
///
/// Install with ``Bus/use(_:for:)``. Every requirement has a pass-through default, so a
/// middleware implements only what it needs:
///
/// ```swift
/// struct Timing: Middleware {
///     func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
///         let start = ContinuousClock.now
///         defer { print(invocation.eventName, invocation.strategy, ContinuousClock.now - start) }
///         try await next()
///     }
/// }
/// bus.use(Timing())
/// ```
///
/// **Order.** Middlewares run in installation order: `willPublish` of the first installed runs
/// first, and the first installed is the outermost wrapper of `invoke` (it sees the time and the
/// outcome of everything inside it). `didPublish` runs in installation order too.
///
/// **What `invoke` wraps.** Every handler the bus calls: observers, callbacks, `consume`
/// handlers (mailbox and point-to-point) and responders. Deliveries you iterate yourself from
/// ``Deliveries`` are not wrapped: the bus does not run that code.
///
/// With no middleware installed the hot path pays one atomic load per publish.
public protocol Middleware: Sendable {
    /// Sees an event before it is routed; may change its metadata (headers, correlation id,
    /// priority) or throw to reject it (`publish` then throws that error and nobody receives it).
    func willPublish(_ envelope: inout PublishEnvelope) throws
    /// Sees what a publish did (or why it failed).
    func didPublish(_ envelope: PublishEnvelope, result: Result<PublishReport, any Error>)
    /// Wraps one handler invocation: call `next` to run the handler (or what the next middleware
    /// wraps around it). Throwing makes the invocation a failure (retried per policy, reported).
    func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws
}

extension Middleware {
    /// Passes the event on unchanged.
    public func willPublish(_ envelope: inout PublishEnvelope) throws {}
    /// Ignores the result.
    public func didPublish(_ envelope: PublishEnvelope, result: Result<PublishReport, any Error>) {}
    /// Runs the handler.
    public func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
        try await next()
    }
}

/// An event on its way into the bus, as middleware sees it.
public struct PublishEnvelope: Sendable {
    /// The event.
    public let event: any Event
    /// Its type's name.
    public let eventName: String
    /// Its metadata; middleware may change headers, correlation id and priority.
    public var metadata: EventMetadata

    /// Made by the bus for each publish (inlinable: the publish path specialises per event type).
    @usableFromInline
    init(event: any Event, eventName: String, metadata: EventMetadata) {
        self.event = event
        self.eventName = eventName
        self.metadata = metadata
    }
}

/// One call of one handler, as middleware sees it.
public struct HandlerInvocation: Sendable {
    /// The event's type name.
    public let eventName: String
    /// The event's metadata (`attempt` counts deliveries).
    public let metadata: EventMetadata
    /// The strategy of the subscription.
    public let strategy: Strategy
    /// The subscription.
    public let subscriptionID: UInt64
    /// The name of the mailbox, callback queue or point-to-point queue the event was taken from,
    /// as ``QueueMetrics/name`` gives it; nil for observers and responders, which have none.
    public let mailbox: String?

    /// Made by the bus for each handler call.
    @usableFromInline
    init(eventName: String, metadata: EventMetadata, strategy: Strategy, subscriptionID: UInt64) {
        self.init(
            eventName: eventName,
            metadata: metadata,
            strategy: strategy,
            subscriptionID: subscriptionID,
            mailbox: nil
        )
    }

    /// Made by the bus for a handler it runs over a queue.
    init(eventName: String, metadata: EventMetadata, strategy: Strategy, subscriptionID: UInt64, mailbox: String?) {
        self.eventName = eventName
        self.metadata = metadata
        self.strategy = strategy
        self.subscriptionID = subscriptionID
        self.mailbox = mailbox
    }
}

/// A middleware's installation; cancel it to remove the middleware.
public struct MiddlewareInstallation: Sendable, Hashable {
    let id: UInt64
    let stack: MiddlewareStack

    /// Removes the middleware.
    public func cancel() {
        stack.remove(id)
    }

    /// Equal when they are the same installation.
    public static func == (lhs: MiddlewareInstallation, rhs: MiddlewareInstallation) -> Bool {
        lhs.id == rhs.id && lhs.stack === rhs.stack
    }

    /// Hashes the id.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
    }
}

extension Bus {
    /// Installs a middleware for every event, or only for events of `type`.
    /// - Returns: the installation; cancel it to remove the middleware.
    @discardableResult
    public func use(_ middleware: some Middleware, for type: (any Event.Type)? = nil) -> MiddlewareInstallation {
        let id = middlewares.add(middleware, scope: type.map { ObjectIdentifier($0) })
        return MiddlewareInstallation(id: id, stack: middlewares)
    }
}
