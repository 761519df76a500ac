import EventBus
import EventBusDashboard
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// `POST /orders` answers with the order's id.
struct OrderAccepted: ResponseCodable {
    let id: String
}

/// `GET /health`: the server is up; billing's backlog, for operators and the crash test.
struct Health: ResponseCodable {
    let status: String
    /// Orders billing has not settled yet (waiting or in progress).
    let billingPending: Int
    /// Orders billing gave up on.
    let billingDeadLetters: Int
}

extension OrderBook.Entry: ResponseCodable {}

extension Shop {
    /// The header `POST /orders` answers with the request's id: the correlation id of the events
    /// it published.
    public static let requestIDHeader = HTTPField.Name("x-request-id")!

    /// The routes: `POST /orders`, `GET /orders/{id}`, `GET /metrics`, `GET /health`, and the
    /// dashboard under `/eventbus`.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        // A span per request: the bus carries its context into every handler of the events the
        // request publishes.
        router.add(middleware: TracingMiddleware())
        router.add(middleware: LogRequestsMiddleware(.debug))
        router.post("orders") { request, context -> EditedResponse<OrderAccepted> in
            let new: NewOrder
            do {
                new = try await request.decode(as: NewOrder.self, context: context)
            } catch {
                throw HTTPError(
                    .badRequest,
                    message:
                        #"the body is not an order: expected {"customer": "ada", "items": [{"sku": "A1", "quantity": 1}]}"#
                )
            }
            try Self.validate(new)
            let order = OrderPlaced(
                id: UUID().uuidString.lowercased(),
                customer: new.customer,
                items: new.items,
                cents: Self.price(new.items)
            )
            await self.book.placed(order)
            do {
                // The request id becomes the event's correlation id: logs and spans of every handler
                // carry it.
                try await self.bus.publish(order, correlationID: context.id)
            } catch let error as BusError {
                context.logger.error("order \(order.id) not accepted: \(error)")
                throw HTTPError(.serviceUnavailable, message: "the order could not be accepted; try again")
            }
            // The request id, which every handler's logs and spans carry as the correlation id.
            return EditedResponse(
                status: .accepted,
                headers: [Self.requestIDHeader: context.id],
                response: OrderAccepted(id: order.id)
            )
        }
        router.get("orders/:id") { _, context -> OrderBook.Entry in
            let id = try context.parameters.require("id")
            if let entry = await self.book.entry(id) { return entry }
            // Charged before this process started: the ledger remembers.
            if self.ledger.charged(id) != nil {
                return OrderBook.Entry(id: id, customer: "", status: "charged", mailed: true)
            }
            throw HTTPError(.notFound, message: "no order \(id)")
        }
        router.get("metrics") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: self.metricsText()))
            )
        }
        router.get("health") { _, _ -> Health in
            let billing = self.billing.metrics()
            return Health(
                status: "ok",
                billingPending: billing.depth + billing.delayed + billing.inFlight,
                billingDeadLetters: billing.deadLetters
            )
        }
        router.addRoutes(dashboard.routes(), atPath: "/eventbus")
        return router
    }

    /// Refuses an order without items, with a quantity below one, or without a customer.
    static func validate(_ order: NewOrder) throws {
        guard !order.customer.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw HTTPError(.badRequest, message: "an order needs a customer")
        }
        guard !order.items.isEmpty else { throw HTTPError(.badRequest, message: "an order needs at least one item") }
        for item in order.items where item.quantity < 1 || item.sku.isEmpty {
            throw HTTPError(.badRequest, message: "each item needs a sku and a quantity of at least 1")
        }
    }

    /// The HTTP server with the bus, the metrics reporter and the dashboard beside it, as services
    /// of one group: on SIGTERM the server stops first, then the dashboard, then the bus drains,
    /// then the reporter reports once more.
    public func application(_ options: ShopOptions, logger: Logger = Logger(label: "shop")) -> some ApplicationProtocol
    {
        var app = Application(
            router: router(),
            configuration: .init(address: .hostname(options.hostname, port: options.port), serverName: "ShopServer"),
            onServerRunning: { channel in
                // The port actually bound (with --port 0, the one the system chose), for people and
                // for the crash test.
                let port = channel.localAddress?.port ?? options.port
                // Written at once, not buffered: a supervisor reading a pipe sees it now.
                FileHandle.standardOutput.write(
                    Data(
                        ("ShopServer listening on http://\(options.hostname):\(port)\n"
                            + "dashboard: http://\(options.hostname):\(port)/eventbus/login?token=\(self.dashboardToken)\n")
                            .utf8
                    )
                )
            },
            logger: logger
        )
        // Stopped in reverse order: the dashboard's sampling, then the bus, then the reporter.
        app.addServices(metricsReporter, bus, dashboard)
        return app
    }
}
