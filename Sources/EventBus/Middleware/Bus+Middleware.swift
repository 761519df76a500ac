import EventLog
import EventQueue

// The bus's side of middleware: publishing through the `willPublish`/`didPublish` chain, and
// calling an observer inside the `invoke` chain (the stack itself is MiddlewareStack.swift).
extension Bus {
    /// Runs `willPublish` of every applicable middleware, publishes, then `didPublish`.
    @inlinable
    nonisolated(nonsending) func publishThroughMiddleware<E: Event>(
        _ event: E,
        metadata: EventMetadata,
        route: Route<E>,
        skippingDurable: Bool = false
    ) async throws -> PublishReport {
        let chain = middlewares.applicable(to: E.self)
        var envelope = PublishEnvelope(event: event, eventName: route.eventName, metadata: metadata)
        var result: Result<PublishReport, any Error>
        do {
            for middleware in chain { try middleware.willPublish(&envelope) }
            result = .success(
                try await dispatch(event, metadata: envelope.metadata, route: route, skippingDurable: skippingDurable)
            )
        } catch {
            result = .failure(error)
        }
        for middleware in chain { middleware.didPublish(envelope, result: result) }
        return try result.get()
    }

    /// Calls an observer entry inside the middleware chain; the chain sees the handler's error
    /// and may replace it (a timeout) or add one. Specialised but never inlined: inlined into
    /// `deliver`, its locals would enlarge the async frame of every publish, middleware or not.
    @inlinable
    @inline(never)
    nonisolated(nonsending) func invokeObserver<E: Event>(
        _ entry: RouteEntry<E>,
        _ event: E,
        _ metadata: EventMetadata,
        _ eventName: String
    ) async -> DeliveryResult {
        let outcome = Locked<DeliveryResult>(.observed)
        let invocation = HandlerInvocation(
            eventName: eventName,
            metadata: metadata,
            strategy: .observer,
            subscriptionID: entry.subscriptionID
        )
        do {
            try await middlewares.invokeSendable(invocation, eventType: E.self) {
                let result = await entry.deliver(event, metadata)
                outcome.withLock { $0 = result }
                if case .failed(let error) = result { throw error }
            }
            return outcome.withLock { $0 }
        } catch {
            return .failed(error)
        }
    }

    /// Calls an inline callback entry inside the middleware chain, on the publisher (no child
    /// task: a time limit fails the call when it returns late, as for a queued callback).
    @inlinable
    @inline(never)
    nonisolated(nonsending) func invokeInline<E: Event>(
        _ entry: RouteEntry<E>,
        _ event: E,
        _ metadata: EventMetadata,
        _ eventName: String
    ) async -> DeliveryResult {
        let invocation = HandlerInvocation(
            eventName: eventName,
            metadata: metadata,
            strategy: .inlineCallback,
            subscriptionID: entry.subscriptionID
        )
        var outcome = DeliveryResult.gone
        do {
            try await middlewares.invokeInline(invocation, eventType: E.self) {
                outcome = entry.deliverNow?(event, metadata) ?? .gone
                if case .failed(let error) = outcome { throw error }
            }
            return outcome
        } catch {
            return .failed(error)
        }
    }
}
