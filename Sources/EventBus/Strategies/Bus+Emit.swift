import EventLog
import EventQueue
import Foundation
import Synchronization

extension Bus {
    /// Publishes an event synchronously, without `await`: what an inline callback
    /// (``on(_:name:inline:handler:)``) uses to publish, and what synchronous code may use for
    /// event types that need no waiting.
    ///
    /// The event is enqueued into every mailbox and callback queue of its type that has room and
    /// is in memory, then its inline callbacks run, here, before `emit` returns (an emit from one
    /// of them nests, up to ``inlineDepthLimit`` deep). Middleware sees it (`willPublish`,
    /// `didPublish`); its `invoke` does not wrap inline callbacks called from `emit` (it is
    /// asynchronous). An event published from inside a handler inherits the correlation id of
    /// the event being handled, as with ``publish(_:priority:headers:correlationID:id:)``.
    ///
    /// ```swift
    /// try bus.on(OrderPlaced.self, inline: true) { order in
    ///     try bus.emit(Greeting(text: "thanks for order \(order.id)"))
    /// }
    /// ```
    ///
    /// - Returns: what the publish did; failures of inline callbacks are in it, and are published
    ///   as ``HandlerFailure`` events from a task of their own.
    /// - Throws: ``BusError/notInline(eventName:)``, before anybody receives the event, when the
    ///   type has observers or durable mailboxes (publish those with `await publish`);
    ///   ``BusError/inlineDepthExceeded(eventName:limit:)`` past the nesting limit;
    ///   ``BusError/rejected(eventName:mailboxes:report:)`` when a mailbox is full and its policy
    ///   would make a publisher wait or fail (the others received it); ``BusError/shutDown``;
    ///   a middleware's rejection.
    @discardableResult
    public func emit<E: Event>(
        _ event: E,
        priority: Priority = .normal,
        headers: [String: String] = [:],
        correlationID: String? = nil,
        id: EventID? = nil
    ) throws -> PublishReport {
        let depth = InlineScope.depth
        let route = try router.route(for: event)
        guard depth < Self.inlineDepthLimit else {
            throw BusError.inlineDepthExceeded(eventName: route.eventName, limit: Self.inlineDepthLimit)
        }
        guard route.isSynchronous else { throw BusError.notInline(eventName: route.eventName) }
        var metadata = newMetadata(
            orderingKey: nil,
            priority: priority,
            headers: headers,
            correlationID: correlationID,
            id: id
        )
        guard middlewares.isActive else {
            return try InlineScope.$depth.withValue(depth + 1) { try emit(event, metadata: metadata, route: route) }
        }
        let chain = middlewares.applicable(to: E.self)
        var envelope = PublishEnvelope(event: event, eventName: route.eventName, metadata: metadata)
        var result: Result<PublishReport, any Error>
        do {
            for middleware in chain { try middleware.willPublish(&envelope) }
            metadata = envelope.metadata
            result = .success(
                try InlineScope.$depth.withValue(depth + 1) { try emit(event, metadata: metadata, route: route) }
            )
        } catch {
            result = .failure(error)
        }
        for middleware in chain { middleware.didPublish(envelope, result: result) }
        return try result.get()
    }

    /// Delivers to every entry of a synchronous route, then settles as ``deliver(_:metadata:route:from:tally:_:)``
    /// does, publishing dead events and failures from a task (they may reach observers).
    private func emit<E: Event>(_ event: E, metadata: EventMetadata, route: Route<E>) throws -> PublishReport {
        var tally = Tally(eventID: metadata.id)
        var boxed: (any BoxedElement)?
        for entry in route.entries {
            let result: DeliveryResult?
            if let deliverBoxed = entry.deliverBoxed {
                let envelope = boxed ?? WorkQueue<Envelope<E>>.box(Envelope(event: event, metadata: metadata))
                boxed = envelope
                result = deliverBoxed(envelope, metadata)
            } else {
                result = entry.deliverNow?(event, metadata)
            }
            // Nil: a full queue whose policy would make the publisher wait; emit cannot wait.
            tally.add(
                result ?? .rejected(entry.queueName ?? "subscription #\(entry.subscriptionID)"),
                from: entry,
                eventName: route.eventName,
                eventID: metadata.id
            )
        }
        if !tally.gone.isEmpty {
            router.remove(tally.gone)
            if tally.gone.count == route.entries.count { tally.report.isDead = true }
        }
        if route.entries.isEmpty { tally.report.isDead = true }
        let failures = tally.report.failures
        if tally.report.isDead || !failures.isEmpty {
            counters.handlerFailures.add(UInt64(failures.count), ordering: .relaxed)
            let dead = tally.report.isDead
            Task { [self] in
                if dead { await bury(event, metadata: metadata) }
                for failure in failures { await publishFailure(failure, while: E.self) }
            }
        }
        if let refusal = tally.refusal(eventName: route.eventName) { throw refusal }
        return tally.report
    }
}
