// OrderService — the EventBus tour in one small order system.
//
// An OrderDesk places orders. Inventory *observes* them (the desk waits for it), the Mailer
// reacts by *callback*, and Billing consumes a *durable mailbox* with retry and dead letters.
// Halfway through, the billing process is killed with SIGKILL; a restart redelivers every order
// that was accepted but not yet billed. The run ends with the metrics table.
import CommandLineSupport
import EventBus
import Foundation
import Synchronization

struct OrderPlaced: Event, Codable {
    static let eventName = "orders.placed.v1"
    let id: Int
    let customer: String
    let cents: Int
}

struct PaymentDeclined: Error, CustomStringConvertible {
    let order: Int
    var description: String { "card declined for order #\(order)" }
}

/// Observes orders: `publish` returns only after stock is reserved.
actor Inventory: EventHandler {
    private(set) var reserved = 0

    static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
        handlers.handle(OrderPlaced.self) { inventory, _ in inventory.reserved += 1 }
    }
}

/// Bills orders from the durable mailbox; order #7's card is always declined.
actor Billing {
    private(set) var billed: [Int] = []
    let pace: Duration

    init(pace: Duration) {
        self.pace = pace
    }

    func bill(_ order: OrderPlaced) async throws {
        try await Task.sleep(for: pace)
        if order.id == 7 { throw PaymentDeclined(order: order.id) }
        billed.append(order.id)
        let attempt = EventContext.current?.metadata.attempt ?? 1
        say("  billing   charged #\(order.id) \(money(order.cents))" + (attempt > 1 ? "  (delivery \(attempt))" : ""))
    }
}

/// The event source.
actor OrderDesk {
    let bus: Bus
    private var next = 1

    init(bus: Bus) {
        self.bus = bus
    }

    func place(customer: String, cents: Int) async throws {
        let order = OrderPlaced(id: next, customer: customer, cents: cents)
        next += 1
        try await bus.publish(order)
        say(
            "  desk      placed  #\(order.id) for \(customer) \(money(order.cents)): stock reserved, billing event on disk"
        )
    }
}

let customers = ["ada", "grace", "alan", "edsger", "barbara", "ken", "margaret", "linus", "radia", "donald"]
let spec = CommandSpec(
    name: "swift run OrderService",
    summary: "the EventBus tour: observer, callback, durable mailbox, crash, restart",
    options: [
        OptionSpec(
            "--dir",
            value: "PATH",
            help: "where the durable billing mailbox lives (default: a temporary folder)"
        ),
        OptionSpec("--orders", value: "N", help: "orders to place before the crash (default 10)"),
        OptionSpec("--phase", value: "NAME", help: "internal: run the phase that crashes"),
    ]
)

/// Prints a line at once (unbuffered), so that nothing is lost when the process is killed.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func money(_ cents: Int) -> String {
    "$\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
}

func billingMailbox(_ directory: String) -> Mailbox {
    .durable(name: "billing", directory: directory, sync: .always)
}

let retry = RetryPolicy.exponential(maxAttempts: 3, initial: .milliseconds(20), jitter: 0)

/// Phase 1, in a child process: take orders, bill slowly, and die mid-way.
func crashingPhase(directory: String, orders: Int) async throws -> Never {
    let bus = Bus()
    let inventory = Inventory()
    try bus.register(inventory)
    try bus.on(OrderPlaced.self) { order in say("  mailer    emailed #\(order.id) confirmation to \(order.customer)") }
    let billing = Billing(pace: .milliseconds(60))
    try await bus.consume(OrderPlaced.self, mailbox: billingMailbox(directory), retry: retry) { order in
        try await billing.bill(order)
    }
    let desk = OrderDesk(bus: bus)
    for index in 0..<orders {
        try await desk.place(customer: customers[index % customers.count], cents: 1_250 + index * 475)
    }
    while await billing.billed.count < 3 { try await Task.sleep(for: .milliseconds(5)) }
    say("\n💥 the billing process is killed with SIGKILL (no shutdown, no flush)\n")
    kill(getpid(), SIGKILL)
    fatalError("unreachable")
}

/// Phase 2, in this process: restart billing on the same mailbox and finish the work.
func restartPhase(directory: String) async throws {
    let bus = Bus()
    let billing = Billing(pace: .milliseconds(10))
    let failures = Collector()
    try bus.on(HandlerFailure.self) { failure in
        failures.add()
        say(
            "  billing   ✗ \(failure.error) (delivery \(failure.attempt))"
                + (failure.deadLettered ? " → dead letters" : " → retry")
        )
    }
    let mailbox = try await bus.consume(OrderPlaced.self, mailbox: billingMailbox(directory), retry: retry) {
        order in try await billing.bill(order)
    }
    let redelivered = mailbox.metrics().enqueued
    say("↻ restarted billing: \(redelivered) orders were accepted but not billed, and are redelivered\n")
    await bus.waitUntilIdle()
    try await Task.sleep(for: .milliseconds(200))  // let the last retries back off and finish
    await bus.waitUntilIdle()
    say("")
    let metrics = bus.metrics()
    printMetrics(metrics)
    say("")
    for letter in try await mailbox.deadLetters() {
        say("☠︎ dead letter: order #\(letter.element.event.id) after \(letter.attempts) attempts: \(letter.reason)")
    }
    let billed = await billing.billed
    say("✓ billed after the restart: \(billed.map { "#\($0)" }.joined(separator: " "))")
    say("  inspect the mailbox with: swift run eventbus dump \(directory) --mailbox billing")
    say("  (the directory is kept: remove it when you are done)")
    await bus.shutdown()
}

func printMetrics(_ metrics: BusMetrics) {
    let rows: [[String]] =
        [["queue", "depth", "in-flight", "R (/s)", "C (/s)", "p50", "p99", "forecast", "dead letters"]]
        + metrics.queues.map { queue in
            [
                queue.name.count > 34 ? "…" + String(queue.name.suffix(33)) : queue.name, String(queue.depth),
                String(queue.inFlight), format(queue.arrivalRate), format(queue.consumeRate), format(queue.latency.p50),
                format(queue.latency.p99), queue.forecast.description, String(queue.deadLetters),
            ]
        }
    let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    for (index, row) in rows.enumerated() {
        say(
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                separator: "  "
            )
        )
        if index == 0 { say(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
    }
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }

func format(_ duration: Duration) -> String {
    let micros = Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    return micros >= 1_000 ? String(format: "%.1f ms", micros / 1_000) : String(format: "%.0f µs", micros)
}

final class Collector: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
}

await CommandExit.run("orderservice") {
    let parsed = try spec.parse(Array(CommandLine.arguments.dropFirst()))
    let orders = try parsed.int("--orders", default: 10, in: 4...1_000)
    // Kept after the run, for `eventbus dump` and `inspect`.
    let directory = try ScratchDirectory.path(parsed.value("--dir"), orScratchWithPrefix: "orderservice").path
    if parsed.value("--phase") == "crash" {
        try await crashingPhase(directory: directory, orders: orders)
    }
    say("OrderService — observer, callback and durable mailbox on one EventBus")
    say("billing mailbox: \(directory)/billing\n")
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    child.arguments = ["--phase", "crash", "--dir", directory, "--orders", String(orders)]
    try child.run()
    child.waitUntilExit()
    guard child.terminationReason == .uncaughtSignal else {
        say("the first phase ended unexpectedly (status \(child.terminationStatus))")
        exit(1)
    }
    try await restartPhase(directory: directory)
}
