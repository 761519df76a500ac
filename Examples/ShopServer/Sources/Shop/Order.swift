import EventBus
import Foundation

/// One line of an order.
public struct OrderItem: Codable, Sendable, Equatable {
    /// The product's stock-keeping unit, `A1`.
    public let sku: String
    /// How many.
    public let quantity: Int
}

/// What a client posts to `POST /orders`.
public struct NewOrder: Codable, Sendable {
    /// Who orders.
    public let customer: String
    /// What they order: at least one line, each with a quantity of at least one.
    public let items: [OrderItem]
}

/// An order was accepted: published by `POST /orders`, handled by the inventory (an observer,
/// inside the request), the mailer (a callback) and billing (a durable mailbox).
public struct OrderPlaced: Event, Codable, Equatable {
    /// A stable name, so that stored events survive a rename of the type.
    public static let eventName = "shop.order-placed.v1"
    /// The order's id (a UUID), the key of everything that follows.
    public let id: String
    /// Who ordered.
    public let customer: String
    /// What.
    public let items: [OrderItem]
    /// The price in cents.
    public let cents: Int
}
