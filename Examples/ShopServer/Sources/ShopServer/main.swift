// ShopServer — a small shop on Hummingbird with the event bus beside it.
//
//   swift run --package-path Examples/ShopServer ShopServer [--hostname H] [--port P] [--data DIR]
//       [--dashboard-token TOKEN]
//
// POST /orders publishes OrderPlaced: the inventory (an observer) reserves stock inside the
// request, the mailer (a callback) sends mail, billing (a durable mailbox) charges through an
// idempotent ledger. GET /orders/{id}, GET /metrics (Prometheus), GET /health, and the
// dashboard at /eventbus (the login link is printed at start). Ctrl-C or SIGTERM drains the bus
// before the process ends.
import CommandLineSupport
import EventBus
import Hummingbird
import Logging
import Shop

await CommandExit.run("ShopServer") {
    let options = try ShopOptions(arguments: Array(CommandLine.arguments.dropFirst()))
    var logger = Logger(label: "shop")
    logger.logLevel = .info
    let shop = try await Shop(data: options.data, logger: logger, dashboardToken: options.dashboardToken)
    if let report = shop.billing.recoveryReport, report.pending > 0 {
        logger.info("billing recovered \(report.pending) orders to charge")
    }
    try await shop.application(options, logger: logger).runService()
}
