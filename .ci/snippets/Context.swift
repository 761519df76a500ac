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
    public let client = PostgresClient(configuration: config)
#endif

#if ServerIntegrations
    import Logging
    import ServiceLifecycle

    /// A service that runs until cancelled: the guides' HTTP server and database client.
    public struct StandInService: Service {
        public init() {}
        public func run() async throws { try await gracefulShutdown() }
    }

    public let httpServer = StandInService()
    public let server = StandInService()
    public let postgresClient = StandInService()
    public let logger = Logger(label: "app")
#else
    /// A stand-in for the application's logger.
    public struct Logger: Sendable {
        public init() {}
        public func info(_ message: String) {}
        public func warning(_ message: String) {}
        public func error(_ message: String) {}
    }

    public let logger = Logger()
#endif

/// The guides' running example event.
public struct OrderPlaced: Event, Codable, Equatable {
    public let id: Int
    public let cents: Int
    public let quantity: Int
    public var eventID: EventID { EventID(high: 0, low: UInt64(id)) }
    public init(id: Int, cents: Int = 0, quantity: Int = 1) {
        self.id = id
        self.cents = cents
        self.quantity = quantity
    }
}

/// A cancelled order.
public struct OrderCancelled: Event, Codable, Equatable {
    public let id: Int
    public let quantity: Int
    public init(id: Int, quantity: Int = 1) {
        self.id = id
        self.quantity = quantity
    }
}

/// A greeting.
public struct Greeting: Event, Codable {
    public let text: String
    public init(text: String) { self.text = text }
}

/// A reminder published later.
public struct Reminder: Event, Codable {
    public init() {}
}

/// An observer.
public actor Inventory: EventHandler {
    public var reserved = 0
    public init() {}
    public static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
        handlers.handle(OrderPlaced.self) { inventory, order in inventory.reserved += order.quantity }
    }
}

/// Sends mail.
public actor Mailer {
    public init() {}
    public func sendConfirmation(for id: Int) {}
}

/// Charges cards.
public actor PaymentGateway {
    public init() {}
    public func charge<Order: Sendable>(_ order: Order) async throws {}
}

/// Reads pages of orders from somewhere.
public actor Importer {
    public init() {}
    public func nextPage() async throws -> [OrderPlaced] { [] }
}

public let bus = Bus()
public let inventory = Inventory()
public let mailer = Mailer()
public let paymentGateway = PaymentGateway()
public let importer = Importer()
public let order = OrderPlaced(id: 1, cents: 999)
public let dir = "/var/lib/shop"

public func charge<Order: Sendable>(_ order: Order) async throws {}
public func bill<Order: Sendable>(_ order: Order) async throws {}
public func handle<Order: Sendable>(_ order: Order) {}
public func audit(_ orderID: Int) {}
public func record(_ event: any Event) {}
