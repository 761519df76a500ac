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
    /// Registers the one responder for request type `R` on this bus.
    ///
    /// With a transport (``BusConfiguration/transport``) and a `Codable` request and response, it
    /// also answers requests from other instances: it is registered for them, with a heartbeat,
    /// once the transport receives (each request goes to one responder, here or on another
    /// instance). A request past its deadline, or cancelled by its requester, is not run.
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
        let link = self.link
        if let link, let responder = registrations.state.withLock({ $0.responders[key] }),
            let answer = remoteAnswer(R.self, responder: responder)
        {
            link.addResponder(requestName, answer: answer)
        }
        let unregister: @Sendable () -> Void = {
            let removed = registrations.state.withLock { state -> Bool in
                guard state.responders[key]?.id == responderID else { return false }
                state.responders[key] = nil
                return true
            }
            if removed { link?.removeResponder(requestName) }
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
    /// With a transport (``BusConfiguration/transport``), a request with no responder on this bus
    /// goes to one on another instance (request and response `Codable`); the reply comes back to
    /// this instance only.
    ///
    /// - Throws: ``BusError/noResponder(requestName:)`` at once when none is registered (here or,
    ///   with a transport, on any live instance);
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
            if let link { return try await remoteRequest(request, timeout: timeout, link: link) }
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
    nonisolated(nonsending) func run(
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

extension Bus {
    /// A request to a responder on another instance, through the transport: the request framed
    /// as an envelope (JSON body), the response decoded from JSON.
    private nonisolated(nonsending) func remoteRequest<R: Request>(
        _ request: R,
        timeout: Duration,
        link: TransportLink
    ) async throws -> R.Response {
        guard let codec = openedJSONCodec(for: R.self) else {
            throw BusError.codec(.noCodec(eventName: R.eventName))
        }
        guard let decodable = R.Response.self as? any Decodable.Type else {
            throw BusError.codec(.noCodec(eventName: "\(R.eventName)'s response"))
        }
        let metadata = EventMetadata(
            id: ids.next(),
            publishedAt: Date(),
            correlationID: EventContext.inheritedCorrelationID
        )
        let body: [UInt8]
        do {
            body = try EnvelopeCodec(codec: codec).encode(Envelope(event: request, metadata: metadata))
        } catch {
            throw BusError.codec(.undecodableBody(eventName: R.eventName, reason: "\(error)"))
        }
        let reply = try await link.request(name: R.eventName, id: metadata.id.description, body: body, timeout: timeout)
        let decoded: any Decodable
        do {
            decoded = try JSONDecoder().decode(decodable, from: Data(reply))
        } catch {
            throw BusError.codec(.undecodableBody(eventName: "\(R.eventName)'s response", reason: "\(error)"))
        }
        guard let response = decoded as? R.Response else {
            throw BusError.codec(
                .undecodableBody(eventName: "\(R.eventName)'s response", reason: "not a \(R.Response.self)")
            )
        }
        return response
    }

    /// How this bus answers a request of type `R` from another instance with `responder`: nil when
    /// the request or its response is not `Codable` (it then answers in process only).
    func remoteAnswer<R: Request>(_ type: R.Type, responder: Responder) -> TransportLink.Answer? {
        guard let codec = openedJSONCodec(for: R.self), R.Response.self is any Encodable.Type else { return nil }
        let envelopes = EnvelopeCodec(codec: codec)
        return { [weak self] message in
            guard let self else { throw BusError.shutDown }
            let envelope = try envelopes.decode(message.body)
            var timeout = Duration.seconds(3600)
            if let deadline = message.deadline {
                let left = deadline - Int64(Date().timeIntervalSince1970 * 1000)
                guard left > 0 else { throw CancellationError() }
                timeout = .milliseconds(left)
            }
            let response = try await self.run(responder, envelope.event, metadata: envelope.metadata, timeout: timeout)
            guard let encodable = response as? any Encodable else {
                throw BusError.codec(.noCodec(eventName: "\(R.eventName)'s response"))
            }
            return Array(try JSONEncoder().encode(encodable))
        }
    }
}
