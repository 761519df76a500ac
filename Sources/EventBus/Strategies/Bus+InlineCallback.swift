import EventLog
import EventQueue
import Synchronization

extension Bus {
    /// How deeply ``emit(_:priority:headers:correlationID:id:)`` nests inside inline callbacks:
    /// an inline callback may emit an event whose inline callbacks emit again, up to this many
    /// emits in one chain; the next one throws ``BusError/inlineDepthExceeded(eventName:limit:)``.
    public static let inlineDepthLimit = 8

    /// Calls `handler` for every event of type `E` on the publisher itself, synchronously, before
    /// `publish` returns: after the observers, once the event is in every mailbox and callback
    /// queue (EventEmitter's listeners and Combine's sinks work this way).
    ///
    /// ```swift
    /// try bus.on(OrderPlaced.self, inline: true) { order in audit(order.id) }
    /// ```
    ///
    /// Use it for quick reactions that need no isolation: counting, caching, forwarding with
    /// ``emit(_:priority:headers:correlationID:id:)``. A slow handler slows every publisher of
    /// the type (use ``on(_:name:isolation:handler:)`` for anything that waits). A handler that
    /// throws does not stop the others: its error is in the ``PublishReport`` and published as a
    /// ``HandlerFailure``. Middleware wraps each call (`invoke`), but a
    /// ``HandlerTimeoutMiddleware`` cannot stop a synchronous handler: it fails the call when it
    /// returns late. Events published concurrently call the handler concurrently.
    ///
    /// - Parameters:
    ///   - type: the event type.
    ///   - name: with `inline: false`, the callback queue's name (as for
    ///     ``on(_:name:isolation:handler:)``); an inline callback has no queue and ignores it.
    ///   - inline: `true` runs `handler` on the publisher; `false` runs it from a callback queue
    ///     of its own, as ``on(_:name:isolation:handler:)`` does, on no actor.
    ///   - handler: called with each event.
    /// - Returns: the subscription. Once ``Subscription/cancel()`` has returned, the handler is
    ///   not called again (not even by a publish that was already under way).
    /// - Throws: ``BusError/shutDown``.
    @discardableResult
    public func on<E: Event>(
        _ type: E.Type,
        name: String? = nil,
        inline: Bool,
        handler: @escaping @Sendable (E) throws -> Void
    ) throws -> Subscription {
        guard inline else {
            return try on(E.self, name: name, isolation: nil) { event in try handler(event) }
        }
        return try addExactInline(E.self, once: false, handler: handler)
    }

    /// ``on(_:name:inline:handler:)`` for the next event of type `E` only: the handler runs once,
    /// then the subscription cancels itself (concurrent publishers call it once between them).
    @discardableResult
    public func once<E: Event>(
        _ type: E.Type,
        name: String? = nil,
        inline: Bool,
        handler: @escaping @Sendable (E) throws -> Void
    ) throws -> Subscription {
        guard inline else {
            return try once(E.self, name: name, isolation: nil) { event in try handler(event) }
        }
        return try addExactInline(E.self, once: true, handler: handler)
    }

    /// ``on(_:name:inline:handler:)`` for every event whose type matches `P`, typically a protocol.
    @discardableResult
    public func on<P: Sendable>(
        matching type: P.Type,
        name: String? = nil,
        inline: Bool,
        handler: @escaping @Sendable (P) throws -> Void
    ) throws -> Subscription {
        guard inline else {
            return try on(matching: P.self, name: name, isolation: nil) { event in try handler(event) }
        }
        return try addInline(target: .pattern, once: false, handler: handler) { deliver in
            PatternFactory<P>(
                strategy: .inlineCallback,
                deliver: { event, metadata in deliver(event, metadata) },
                deliverNow: { event, metadata in deliver(event, metadata) }
            )
        }
    }

    private func addExactInline<E: Event>(
        _ type: E.Type,
        once: Bool,
        handler: @escaping @Sendable (E) throws -> Void
    ) throws -> Subscription {
        try addInline(target: .exact(ObjectIdentifier(E.self)), once: once, handler: handler) { deliver in
            ExactFactory<E>(
                strategy: .inlineCallback,
                deliver: { event, metadata in deliver(event, metadata) },
                deliverNow: { event, metadata in deliver(event, metadata) }
            )
        }
    }

    private func addInline<T: Sendable>(
        target: RouteTarget,
        once: Bool,
        handler: @escaping @Sendable (T) throws -> Void,
        makeFactory: (@escaping @Sendable (T, EventMetadata) -> DeliveryResult) -> any EntryFactory
    ) throws -> Subscription {
        let state = InlineCallbackState()
        let router = self.router
        let deliver: @Sendable (T, EventMetadata) -> DeliveryResult = { event, metadata in
            // Checked right before each call: a publish that found the entry before `cancel()`
            // does not call it after.
            if once {
                guard !state.cancelled.exchange(true, ordering: .acquiringAndReleasing) else { return .gone }
                router.remove([state.id.load(ordering: .acquiring)])
            } else if state.cancelled.load(ordering: .acquiring) {
                return .gone
            }
            do {
                // The event being handled, for the handler and for the correlation id of what it emits.
                try InlineContext.with(EventContext.Current(metadata: metadata)) { try handler(event) }
                return .handledInline
            } catch {
                return .failed(error)
            }
        }
        let id = try router.add(target: target, strategy: .inlineCallback, factory: makeFactory(deliver)) {
            state.cancelled.store(true, ordering: .releasing)
        }
        state.id.store(id, ordering: .releasing)
        return Subscription(ids: [id], router: router, strategy: .inlineCallback)
    }
}

/// Whether an inline callback was cancelled (or, for `once`, has fired), and its subscription id.
final class InlineCallbackState: Sendable {
    let cancelled = Atomic<Bool>(false)
    let id = Atomic<UInt64>(0)
}

/// How many ``Bus/emit(_:priority:headers:correlationID:id:)`` calls the current chain of inline
/// callbacks is inside.
enum InlineScope {
    @TaskLocal static var depth = 0
}
