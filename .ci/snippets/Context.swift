// The names the documentation's Swift snippets use without declaring them: each snippet is
// compiled on its own with this module imported (`.ci/snippets/run`), so a snippet that declares
// one of these names itself shadows it. Nothing here is part of EventBus.
import EventBus
import Foundation

#if PostgresSupport
    import PostgresNIO

    /// How the guides' PostgreSQL client connects (never used: snippets are only type-checked).
    public let config = PostgresClient.Configuration(
        host: "127.0.0.1",
        username: "shop",
        password: nil,
        database: "shop",
        tls: .disable
    )
    /// A stand-in the snippets use (client).
    public let client = PostgresClient(configuration: config)
#endif

#if ServerIntegrations
    import Logging
    import ServiceLifecycle

    /// A service that runs until cancelled: the guides' HTTP server and database client.
    public struct StandInService: Service {
        /// A stand-in the snippets use (this).
        public init() {}
        /// A stand-in the snippets use (run).
        public func run() async throws { try await gracefulShutdown() }
    }

    /// A stand-in the snippets use (httpServer).
    public let httpServer = StandInService()
    /// A stand-in the snippets use (server).
    public let server = StandInService()
    /// A stand-in the snippets use (postgresClient).
    public let postgresClient = StandInService()
    /// A stand-in the snippets use (logger).
    public let logger = Logger(label: "app")
#else
    /// A stand-in for the application's logger.
    public struct Logger: Sendable {
        /// A stand-in the snippets use (this).
        public init() {}
        /// A stand-in the snippets use (info).
        public func info(_ message: String) {}
        /// A stand-in the snippets use (warning).
        public func warning(_ message: String) {}
        /// A stand-in the snippets use (error).
        public func error(_ message: String) {}
    }

    /// A stand-in the snippets use (logger).
    public let logger = Logger()
#endif

/// The guides' running example event.
public struct OrderPlaced: Event, Codable, Equatable {
    /// A stand-in the snippets use (id).
    public let id: Int
    /// A stand-in the snippets use (cents).
    public let cents: Int
    /// A stand-in the snippets use (quantity).
    public let quantity: Int
    /// A stand-in the snippets use (eventID).
    public var eventID: EventID { EventID(high: 0, low: UInt64(id)) }
    /// A stand-in the snippets use (this).
    public init(id: Int, cents: Int = 0, quantity: Int = 1) {
        self.id = id
        self.cents = cents
        self.quantity = quantity
    }
}

/// A cancelled order.
public struct OrderCancelled: Event, Codable, Equatable {
    /// A stand-in the snippets use (id).
    public let id: Int
    /// A stand-in the snippets use (quantity).
    public let quantity: Int
    /// A stand-in the snippets use (this).
    public init(id: Int, quantity: Int = 1) {
        self.id = id
        self.quantity = quantity
    }
}

/// A greeting.
public struct Greeting: Event, Codable {
    /// A stand-in the snippets use (text).
    public let text: String
    /// A stand-in the snippets use (this).
    public init(text: String) { self.text = text }
}

/// A reminder published later.
public struct Reminder: Event, Codable {
    /// A stand-in the snippets use (this).
    public init() {}
}

/// An observer.
public actor Inventory: EventHandler {
    /// A stand-in the snippets use (reserved).
    public var reserved = 0
    /// A stand-in the snippets use (this).
    public init() {}
    /// A stand-in the snippets use (declareHandlers).
    public static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
        handlers.handle(OrderPlaced.self) { inventory, order in inventory.reserved += order.quantity }
    }
}

/// Sends mail.
public actor Mailer {
    /// A stand-in the snippets use (this).
    public init() {}
    /// A stand-in the snippets use (sendConfirmation).
    public func sendConfirmation(for id: Int) {}
}

/// Charges cards.
public actor PaymentGateway {
    /// A stand-in the snippets use (this).
    public init() {}
    /// A stand-in the snippets use (charge).
    public func charge<Order: Sendable>(_ order: Order) async throws {}
}

/// Reads pages of orders from somewhere.
public actor Importer {
    /// A stand-in the snippets use (this).
    public init() {}
    /// A stand-in the snippets use (nextPage).
    public func nextPage() async throws -> [OrderPlaced] { [] }
}

/// A stand-in the snippets use (bus).
public let bus = Bus()
/// A stand-in the snippets use (inventory).
public let inventory = Inventory()
/// A stand-in the snippets use (mailer).
public let mailer = Mailer()
/// A stand-in the snippets use (paymentGateway).
public let paymentGateway = PaymentGateway()
/// A stand-in the snippets use (importer).
public let importer = Importer()
/// A stand-in the snippets use (order).
public let order = OrderPlaced(id: 1, cents: 999)
/// A stand-in the snippets use (dir).
public let dir = "/var/lib/shop"

/// A stand-in the snippets use (charge).
public func charge<Order: Sendable>(_ order: Order) async throws {}
/// A stand-in the snippets use (bill).
public func bill<Order: Sendable>(_ order: Order) async throws {}
/// A stand-in the snippets use (handle).
public func handle<Order: Sendable>(_ order: Order) {}
/// A stand-in the snippets use (audit).
public func audit(_ orderID: Int) {}
/// A stand-in the snippets use (record).
public func record(_ event: any Event) {}

/// A point-to-point job of the guides (the thumbnails queue).
public struct ResizeImage: Event, Codable, Equatable {
    /// A stand-in the snippets use (id).
    public let id: Int
    /// A stand-in the snippets use (this).
    public init(id: Int) { self.id = id }
}

/// A broadcast of the guides.
public struct PriceChanged: Event, Codable, Equatable {
    /// A stand-in the snippets use (sku).
    public let sku: String
    /// A stand-in the snippets use (this).
    public init(sku: String) { self.sku = sku }
}

/// The guides' in-memory cache.
public final class PriceCache: Sendable {
    /// A stand-in the snippets use (this).
    public init() {}
    /// A stand-in the snippets use (invalidate).
    public func invalidate(_ key: String) {}
}

/// A stand-in the snippets use (cache).
public let cache = PriceCache()
