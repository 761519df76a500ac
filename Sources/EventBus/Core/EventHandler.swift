import EventLog
import EventQueue

/// An actor that observes events: the observer strategy.
///
/// One actor may handle several event types. It lists them in ``declareHandlers(_:)``; each
/// handler runs isolated to the actor. Register it with ``Bus/register(_:order:)``; `publish`
/// then awaits it (with every other observer, in order) and reports what it threw.
///
/// ```swift
/// actor Inventory: EventHandler {
///     var reserved = 0
///     static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
///         handlers.handle(OrderPlaced.self) { inventory, order in inventory.reserved += order.quantity }
///         handlers.handle(OrderCancelled.self) { inventory, order in try inventory.release(order) }
///     }
///
///     func release(_ order: OrderCancelled) throws {
///         reserved -= order.quantity
///     }
/// }
/// ```
///
/// The bus holds observers weakly: a handler that is deallocated is unsubscribed.
public protocol EventHandler: Actor {
    /// Lists the event types this actor handles and the code that handles each.
    static func declareHandlers(_ handlers: inout EventHandlers<Self>)
}

/// The handlers an ``EventHandler`` declares.
public struct EventHandlers<Handler: EventHandler> {
    struct Declared {
        let target: RouteTarget
        let factory: (WeakHandler<Handler>) -> any EntryFactory
    }

    var declared: [Declared] = []

    init() {}

    /// Handles events of exactly type `E`.
    public mutating func handle<E: Event>(
        _ type: E.Type,
        handler body: @escaping @Sendable (isolated Handler, E) async throws -> Void
    ) {
        declared.append(
            Declared(target: .exact(ObjectIdentifier(E.self))) { weak in
                ExactFactory<E>(
                    strategy: .observer,
                    deliver: observerCall(weak, body),
                    deliverBatch: observerBatchCall(weak, body)
                )
            }
        )
    }

    /// Handles every event whose type matches `P`, typically a protocol: `(any OrderEvent).self`.
    public mutating func handle<P: Sendable>(
        matching type: P.Type,
        handler body: @escaping @Sendable (isolated Handler, P) async throws -> Void
    ) {
        declared.append(
            Declared(target: .pattern) { weak in
                PatternFactory<P>(strategy: .observer, deliver: observerCall(weak, body))
            }
        )
    }
}

/// Declarations are collected synchronously inside ``EventHandler/declareHandlers(_:)`` and
/// never cross tasks.
@available(*, unavailable)
extension EventHandlers: Sendable {}

/// A weak reference to an observer actor.
final class WeakHandler<Handler: AnyObject & Sendable>: Sendable {
    private weak let reference: Handler?

    init(_ handler: Handler) {
        reference = handler
    }

    var handler: Handler? { reference }
}

private func observerCall<Handler: EventHandler, T: Sendable>(
    _ weak: WeakHandler<Handler>,
    _ body: @escaping @Sendable (isolated Handler, T) async throws -> Void
) -> nonisolated(nonsending) @Sendable (T, EventMetadata) async -> DeliveryResult {
    { event, metadata in
        guard let handler = weak.handler else { return .gone }
        do {
            // `Bus.dispatch` has bound `EventContext.current` for the whole publish.
            try await body(handler, event)
            return .observed
        } catch {
            return .failed(error)
        }
    }
}

/// An observer's call for a whole batch (`publish(contentsOf:)`): one hop to the actor, then each
/// event in turn, each with its own `EventContext`. One result per event.
private func observerBatchCall<Handler: EventHandler, E: Event>(
    _ weak: WeakHandler<Handler>,
    _ body: @escaping @Sendable (isolated Handler, E) async throws -> Void
) -> @Sendable ([PendingItem]) async -> [DeliveryResult] {
    { items in
        guard let handler = weak.handler else { return Array(repeating: .gone, count: items.count) }
        return await observe(items, on: handler, body)
    }
}

/// Runs `body` over a batch on the observer actor (`items` hold `Envelope<E>`s).
private func observe<Handler: EventHandler, E: Event>(
    _ items: [PendingItem],
    on handler: isolated Handler,
    _ body: @Sendable (isolated Handler, E) async throws -> Void
) async -> [DeliveryResult] {
    var results: [DeliveryResult] = []
    results.reserveCapacity(items.count)
    for item in items {
        let envelope = WorkQueue<Envelope<E>>.typed(item.element)
        do {
            try await EventContext.binding.withValue(EventContext.Current(metadata: envelope.metadata)) {
                try await body(handler, envelope.event)
            }
            results.append(.observed)
        } catch {
            results.append(.failed(error))
        }
    }
    return results
}
