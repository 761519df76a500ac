import EventQueue
import Foundation
import Synchronization

/// An event that expects one typed response (request-reply).
///
/// ```swift
/// struct GetQuote: Request { typealias Response = Decimal; let symbol: String }
/// try bus.respond(to: GetQuote.self) { request in 42 }
/// let price = try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(1))
/// ```
public protocol Request: Event {
    /// The type of the answer.
    associatedtype Response: Sendable
}

extension Bus {
    /// Registers the one responder for request type `R`.
    /// - Throws: ``BusError/responderAlreadyRegistered(requestName:)``, ``BusError/shutDown``.
    @discardableResult
    public func respond<R: Request>(
        to type: R.Type,
        with responder: @escaping @Sendable (R) async throws -> R.Response
    ) throws -> Subscription {
        let key = ObjectIdentifier(R.self)
        let services = self.services
        let responderID: UInt64 = try services.state.withLock { state throws(BusError) -> UInt64 in
            if state.shutdown != nil { throw .shutDown }
            if state.responders[key] != nil { throw .responderAlreadyRegistered(requestName: R.eventName) }
            state.nextResponderID += 1
            state.responders[key] = (state.nextResponderID, responder)
            return state.nextResponderID
        }
        let unregister: @Sendable () -> Void = {
            services.state.withLock { state in
                if state.responders[key]?.id == responderID { state.responders[key] = nil }
            }
        }
        do {
            let id = try router.add(
                target: .detached,
                strategy: .requestReply,
                factory: DetachedFactory(),
                onCancel: unregister
            )
            return Subscription(ids: [id], router: router, strategy: .requestReply)
        } catch {
            unregister()
            throw error
        }
    }

    /// Sends a request to its responder and returns the response.
    ///
    /// - Throws: ``BusError/noResponder(requestName:)`` at once when none is registered;
    ///   ``BusError/timeout(requestName:after:)`` when no answer comes within `timeout` (the
    ///   responder's task is cancelled); the responder's own error; `CancellationError` when the
    ///   calling task is cancelled (the responder's task is cancelled too).
    public nonisolated(nonsending) func request<R: Request>(
        _ request: R,
        timeout: Duration
    ) async throws
        -> R.Response
    {
        if router.isShutDown { throw BusError.shutDown }
        let key = ObjectIdentifier(R.self)
        let stored = services.state.withLock { $0.responders[key]?.respond }
        guard let respond = stored as? @Sendable (R) async throws -> R.Response else {
            throw BusError.noResponder(requestName: R.eventName)
        }
        let metadata = EventMetadata(
            id: ids.next(),
            publishedAt: Date(),
            correlationID: EventContext.inheritedCorrelationID
        )
        let stack = middlewares
        let race = Race<R.Response>()
        let timer = deadlines.schedule(after: timeout) {
            race.finish(.failure(BusError.timeout(requestName: R.eventName, after: timeout)))
        }
        defer { deadlines.cancel(timer) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation)
                race.add(
                    Task {
                        do {
                            let response = try await EventContext.$current.withValue(
                                EventContext.Current(metadata: metadata)
                            ) {
                                guard stack.isActive else { return try await respond(request) }
                                let answer = Locked<R.Response?>(nil)
                                let invocation = HandlerInvocation(
                                    eventName: R.eventName,
                                    metadata: metadata,
                                    strategy: .requestReply,
                                    subscriptionID: 0
                                )
                                try await stack.invokeSendable(invocation, eventType: R.self) {
                                    let value = try await respond(request)
                                    answer.withLock { $0 = value }
                                }
                                guard let value = answer.withLock({ $0 }) else {
                                    throw HandlerSkipped(eventName: R.eventName)
                                }
                                return value
                            }
                            race.finish(.success(response))
                        } catch {
                            race.finish(.failure(error))
                        }
                    }
                )
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }
}
