import EventBus
import EventBusDashboard
import Foundation
import Logging
import Metrics
import Prometheus

/// The shop's parts: the bus with its handlers, the order book, the ledger and the metrics.
///
/// - the **inventory** is an observer: `POST /orders` returns after it reserved the stock;
/// - the **mailer** is a callback (`on`): fire and forget;
/// - **billing** consumes the durable mailbox `billing` with retries and dead letters, and charges
///   through the idempotent ``Ledger``, so a redelivery after a crash never charges twice.
public final class Shop: Sendable {
    /// The bus (a `Service`: run it beside the server).
    public let bus: Bus
    /// What `GET /orders/{id}` shows.
    public let book: OrderBook
    /// The charges.
    public let ledger: Ledger
    /// The observer reserving stock.
    public let inventory: Inventory
    /// Where `GET /metrics` reads from.
    public let registry: PrometheusCollectorRegistry
    /// Reports the bus's queues into ``registry`` (a `Service`: run it beside the bus).
    public let metricsReporter: MetricsReporter
    /// The billing consumer.
    public let billing: Consumer<OrderPlaced>
    /// Mails sent (a stand-in for a mail server).
    public let mails: Mails
    /// The operator's dashboard at `/eventbus` (a `Service`: it samples the bus while it runs).
    public let dashboard: Dashboard
    /// The secret that opens the dashboard: `GET /eventbus/login?token=…` (or
    /// `Authorization: Bearer …`) allows reading and acting.
    public let dashboardToken: String

    /// Customers whose card is always declined: their orders show retries and a dead letter.
    public static let declined: Set<String> = ["mallory"]
    /// Attempts billing makes before an order goes to the dead letters.
    public static let billingAttempts = 3

    /// Opens the shop's state under `data` and subscribes its handlers. The dashboard opens with
    /// `dashboardToken`, or with a random token when none is given.
    /// - Throws: ``LedgerError``, `BusError.mailboxUnavailable` (the mailbox cannot open).
    public init(data: String, logger: Logger = Logger(label: "shop"), dashboardToken: String? = nil) async throws {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        var configuration = BusConfiguration(durableStore: .directory(data + "/mailboxes", sync: .batched))
        configuration.logger = logger
        configuration.gracefulShutdownDeadline = .seconds(10)
        let bus = Bus(configuration: configuration)
        let book = OrderBook()
        let ledger = try Ledger(path: data + "/ledger.txt")
        let registry = PrometheusCollectorRegistry()
        self.bus = bus
        self.book = book
        self.ledger = ledger
        self.registry = registry
        // Trace context from the HTTP request into every handler (trait TracingSupport).
        bus.use(EventTracingMiddleware())
        metricsReporter = bus.reportMetrics(every: .seconds(1), factory: PrometheusMetricsFactory(registry: registry))

        // The dashboard: read and act only with the token (the shop's authorization check); dead
        // letters' bodies stay hidden (they carry the customer's name).
        var dashboardOptions = DashboardOptions()
        dashboardOptions.title = "ShopServer — EventBus"
        let token = dashboardToken ?? Dashboard.makeToken()
        dashboardOptions.accessToken = token
        self.dashboardToken = token
        dashboard = Dashboard(bus: bus, options: dashboardOptions)

        inventory = Inventory(book: book)
        try bus.register(inventory)

        let mails = Mails()
        self.mails = mails
        try bus.on(OrderPlaced.self, name: "mailer") { order in
            await mails.send(to: order.customer, about: order.id)
            await book.mailed(order.id)
        }

        billing = try await bus.consume(
            OrderPlaced.self,
            mailbox: .durable(name: "billing"),
            retry: .exponential(maxAttempts: Self.billingAttempts, initial: .milliseconds(20)),
            deadLetter: .keep
        ) { order in
            if Self.declined.contains(order.customer) {
                if (EventContext.current?.metadata.attempt ?? 1) >= Self.billingAttempts {
                    await book.mark(order.id, "payment-failed")
                }
                throw PaymentDeclined(orderID: order.id)
            }
            // Idempotent: a second delivery of a charged order finds it in the ledger.
            try ledger.charge(order.id, cents: order.cents)
            await book.mark(order.id, "charged")
        }
    }

    /// Prices an order: 1,000 cents a unit.
    public static func price(_ items: [OrderItem]) -> Int {
        items.reduce(0) { $0 + $1.quantity * 1_000 }
    }

    /// The Prometheus text of every metric: the bus's queues, reported now.
    public func metricsText() -> String {
        metricsReporter.report()
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// The card was declined (the customer is in ``Shop/declined``).
public struct PaymentDeclined: Error, CustomStringConvertible {
    /// The order.
    public let orderID: String
    /// Says which order.
    public var description: String { "payment declined for order \(orderID)" }
}

/// The mails "sent" (kept in memory: a stand-in for a mail server).
public actor Mails {
    /// (customer, order id) in the order sent.
    public private(set) var sent: [(customer: String, orderID: String)] = []

    func send(to customer: String, about orderID: String) {
        sent.append((customer, orderID))
    }
}
