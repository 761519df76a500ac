import EventLog
import EventQueue

extension Bus {
    /// Registers an observer actor for every event type it declares (see ``EventHandler``).
    ///
    /// - Parameters:
    ///   - handler: the actor. The bus holds it weakly.
    ///   - order: observers run in ascending `order`, then in registration order.
    /// - Returns: one subscription covering every declared type.
    /// - Throws: ``BusError/shutDown``.
    @discardableResult
    public func register<H: EventHandler>(_ handler: H, order: Int = 0) throws -> Subscription {
        var handlers = EventHandlers<H>()
        H.declareHandlers(&handlers)
        let weak = WeakHandler(handler)
        var ids: [UInt64] = []
        do {
            for declared in handlers.declared {
                ids.append(
                    try router.add(
                        target: declared.target,
                        strategy: .observer,
                        order: order,
                        factory: declared.factory(weak),
                        isAlive: { weak.handler != nil }
                    )
                )
            }
        } catch {
            router.remove(ids)
            throw error
        }
        return Subscription(ids: ids, router: router, strategy: .observer)
    }
}
