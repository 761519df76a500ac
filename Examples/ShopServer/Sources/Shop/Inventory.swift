import EventBus

/// Reserves stock for each order: an observer, so `POST /orders` answers after the reservation.
public actor Inventory: EventHandler {
    /// Units reserved per SKU since start.
    public private(set) var reserved: [String: Int] = [:]
    private let book: OrderBook

    /// An inventory that notes its reservations in `book`.
    public init(book: OrderBook) {
        self.book = book
    }

    /// Declares the observer's handler.
    public static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
        handlers.handle(OrderPlaced.self) { inventory, order in await inventory.reserve(order) }
    }

    private func reserve(_ order: OrderPlaced) async {
        for item in order.items { reserved[item.sku, default: 0] += item.quantity }
        await book.mark(order.id, "reserved")
    }
}
