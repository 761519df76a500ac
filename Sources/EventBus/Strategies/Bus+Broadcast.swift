import EventLog
import EventQueue
import Foundation

extension Bus {
    /// The header a broadcast received from another instance carries: the publishing instance.
    /// An event published with it is not broadcast again.
    public static let broadcastOriginHeader = "eventbus.origin"

    /// Declares that events of type `E` reach the in-memory subscribers of every instance of the
    /// bus: observers, callbacks and memory mailboxes — cache invalidation, feature flags, live
    /// dashboards. Requires a transport (``BusConfiguration/transport``); every instance that
    /// wants to receive them declares the type too (only declared types are decoded).
    ///
    /// ```swift
    /// try await bus.declareBroadcast(PriceChanged.self)
    /// try bus.on(PriceChanged.self) { change in cache.invalidate(change.sku) }   // here and everywhere
    /// try await bus.publish(PriceChanged(sku: "A-1"))
    /// ```
    ///
    /// A publish delivers in this process first, as always, then sends the event to the other
    /// instances (one notification; a body past the transport's limit travels by reference). It
    /// is **at-most-once**: an instance that is not connected at that moment misses it. The
    /// publishing instance never receives its own event twice; each instance receives the events
    /// of one publisher in publish order; the event's id, headers (trace context) and
    /// correlation id cross with it, and it arrives with the header ``broadcastOriginHeader``.
    /// Durable mailboxes of other instances do not receive it (use a consumer group for that). A
    /// broadcast that cannot be sent is a failure in the publish's report
    /// (``HandlerFailure`` with ``BusError/transportUnavailable(_:)``), after the local delivery.
    ///
    /// - Parameters:
    ///   - type: the event type to broadcast.
    ///   - codec: how the event travels (default: JSON for `Codable` events).
    /// - Throws: ``BusError/noTransport(eventName:)``; ``BusError/codec(_:)`` when `E` has no codec;
    ///   ``BusError/transportUnavailable(_:)`` when the transport cannot receive (a pooler that
    ///   breaks LISTEN); ``BusError/shutDown``.
    public func declareBroadcast<E: Event>(_ type: E.Type, codec: (any EventCodec<E>)? = nil) async throws {
        guard let link else { throw BusError.noTransport(eventName: E.eventName) }
        if router.isShutDown { throw BusError.shutDown }
        let envelopes = EnvelopeCodec(codec: try storedCodec(codec, for: E.self))
        try await link.ensureStarted()
        let receiving = link.addBroadcast(E.eventName) { [weak self] message in
            // Decoded with the message's id: an authenticating codec bound the body to it.
            let id = EventID(message.id) ?? EventID(high: 0, low: 0)
            guard let self, let envelope = try? envelopes.decode(message.body, id: id) else { return }
            let stored = envelope.metadata
            var headers = stored.headers
            headers[Bus.broadcastOriginHeader] = message.from
            let metadata = EventMetadata(
                // The envelope leaves the id to its carrier: the message has it.
                id: id,
                publishedAt: stored.publishedAt,
                priority: stored.priority,
                headers: headers,
                correlationID: stored.correlationID,
                attempt: 1,
                orderingKey: stored.orderingKey
            )
            // In memory only: the publishing instance stored it in the durable mailboxes.
            _ = try? await self.publish(envelope.event, metadata: metadata, skippingDurable: true)
        }
        guard receiving else { return }
        let instance = link.instance
        let factory = ExactFactory<E>(strategy: .broadcast) { event, metadata in
            // Received from another instance: delivered here, never sent on.
            if metadata.headers[Bus.broadcastOriginHeader] != nil { return .observed }
            do {
                let body = try envelopes.encode(Envelope(event: event, metadata: metadata))
                try await link.broadcast(
                    TransportMessage(
                        kind: .broadcast,
                        from: instance,
                        name: E.eventName,
                        id: metadata.id.description,
                        body: body
                    )
                )
                return .enqueued(.enqueued)
            } catch {
                return .failed(error)
            }
        }
        // After every local subscriber: this process's handlers come first.
        _ = try router.add(
            target: .exact(ObjectIdentifier(E.self)),
            strategy: .broadcast,
            order: .max,
            factory: factory
        )
    }
}
