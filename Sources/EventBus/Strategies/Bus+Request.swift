import EventLog
import EventQueue
import Foundation
import Synchronization

/// An event that expects one typed response (request-reply).
///
/// ```swift
/// struct GetQuote: Request { typealias Response = Decimal; let symbol: String }
/// try bus.respond(GetQuote.self) { request in 42 }
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
        _ type: R.Type,
        handler responder: @escaping @Sendable (R) async throws -> R.Response
    ) throws -> Subscription {
        let key = ObjectIdentifier(R.self)
        let registrations = self.registrations
        let requestName = R.eventName
        let responderID: UInt64 = try registrations.state.withLock { state throws(BusError) -> UInt64 in
            if state.shutdown != nil { throw .shutDown }
            if state.responders[key] != nil { throw .responderAlreadyRegistered(requestName: requestName) }
            state.nextResponderID += 1
            state.responders[key] = Responder(
                id: state.nextResponderID,
                requestName: requestName,
                requestType: R.self
            ) { request in
                // Only a request of type `R` is looked up under `R`'s key.
                try await responder(request as! R)
            }
            return state.nextResponderID
        }
        let unregister: @Sendable () -> Void = {
            registrations.state.withLock { state in
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
    /// The responder runs in a task of its own, which starts on the caller's thread
    /// (`Task.immediate`): a responder that answers without suspending has answered before
    /// `request` waits, and the round trip costs no thread hand-off. A responder that computes
    /// without suspending delays the caller by as long, timeout or not.
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
        guard let responder = registrations.state.withLock({ $0.responders[key] }) else {
            throw BusError.noResponder(requestName: R.eventName)
        }
        let metadata = EventMetadata(
            id: ids.next(),
            publishedAt: Date(),
            correlationID: EventContext.inheritedCorrelationID
        )
        let response = try await run(responder, request, metadata: metadata, timeout: timeout)
        // The responder registered under `R`'s key returns an `R.Response`.
        return response as! R.Response
    }

    /// Races the responder against the timeout and the caller's cancellation. Nothing here is
    /// generic: generic code over the request's types looked up their run-time metadata on every
    /// request (a third of a round trip).
    private nonisolated(nonsending) func run(
        _ responder: Responder,
        _ request: any Sendable,
        metadata: EventMetadata,
        timeout: Duration
    ) async throws -> any Sendable {
        let stack = middlewares
        let race = Race<any Sendable>()
        let requestName = responder.requestName
        let timer = deadlines.schedule(after: timeout) {
            race.finish(.failure(BusError.timeout(requestName: requestName, after: timeout)))
        }
        defer { deadlines.cancel(timer) }
        let runResponder: @Sendable () async -> Void = {
            do {
                let response = try await EventContext.binding.withValue(EventContext.Current(metadata: metadata)) {
                    guard stack.isActive else { return try await responder.respond(request) }
                    let answer = Locked<(any Sendable)?>(nil)
                    let invocation = HandlerInvocation(
                        eventName: requestName,
                        metadata: metadata,
                        strategy: .requestReply,
                        subscriptionID: 0
                    )
                    try await stack.invokeSendable(invocation, eventType: responder.requestType) {
                        let value = try await responder.respond(request)
                        answer.withLock { $0 = value }
                    }
                    guard let value = answer.withLock({ $0 }) else { throw HandlerSkipped(eventName: requestName) }
                    return value
                }
                race.finish(.success(response))
            } catch {
                race.finish(.failure(error))
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation)
                // A caller cancelled before the race began has its answer: start no responder.
                guard !race.isFinished else { return }
                if #available(macOS 26, iOS 26, tvOS 26, watchOS 26, visionOS 26, *) {
                    race.add(Task.immediate { await runResponder() })
                } else {
                    race.add(Task { await runResponder() })
                }
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }
}
