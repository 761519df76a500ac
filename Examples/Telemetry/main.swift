// Telemetry — a flood of sensor readings into bounded mailboxes with different overflow
// policies, a deliberately slow consumer, and high-priority alerts that overtake bulk data.
import CommandLineSupport
import EventBus
import Foundation
import Synchronization

struct Reading: Event {
    let sensor: Int
    let value: Double
    let isAlert: Bool
}

let spec = CommandSpec(
    name: "swift run Telemetry",
    summary: "floods, backpressure, drop policies and priority alerts",
    options: [OptionSpec("--readings", value: "N", help: "readings to publish (default 50000)")]
)

/// A consumer that handles readings at a fixed pace and notes where alerts landed.
final class Consumer: Sendable {
    let name: String
    let policy: OverflowPolicy
    let handled = Atomic<Int>(0)
    let alertPositions = Mutex<[Int]>([])

    init(name: String, policy: OverflowPolicy) {
        self.name = name
        self.policy = policy
    }

    func start(on bus: Bus, pace: Duration) async throws -> Deliveries<Reading> {
        let mailbox = try await bus.subscribe(to: Reading.self, mailbox: .bounded(1_000, overflow: policy))
        Task {
            for try await delivery in mailbox {
                let position = handled.add(1, ordering: .relaxed).newValue
                if delivery.event.isAlert { alertPositions.withLock { $0.append(position) } }
                if pace > .zero && position % 25 == 0 { try await Task.sleep(for: pace) }
            }
        }
        return mailbox
    }
}

do {
    let total = try spec.parse(Array(CommandLine.arguments.dropFirst())).int(
        "--readings",
        default: 50_000,
        in: 1_000...10_000_000
    )
    let bus = Bus()
    let consumers = [
        Consumer(name: "dashboard (dropOldest)", policy: .dropOldest),
        Consumer(name: "sampler (dropNewest)", policy: .dropNewest),
        Consumer(name: "archive (suspendPublisher)", policy: .suspendPublisher),
    ]
    var mailboxes: [Deliveries<Reading>] = []
    for consumer in consumers {
        mailboxes.append(try await consumer.start(on: bus, pace: .milliseconds(2)))
    }
    let start = ContinuousClock.now
    var alerts = 0
    for index in 0..<total {
        let isAlert = index % 5_000 == 4_999
        if isAlert { alerts += 1 }
        try await bus.publish(
            Reading(sensor: index % 64, value: Double(index % 1_000) / 10, isAlert: isAlert),
            priority: isAlert ? .high : .low
        )
        if index % 2_500 == 0 || index == total - 1 {
            let done = Double(index + 1) / Double(total)
            let bar = String(repeating: "█", count: Int(done * 30)) + String(repeating: "·", count: 30 - Int(done * 30))
            let line = "\r  publishing \(bar) \(Int(done * 100))%  archive backlog \(mailboxes[2].metrics().depth)   "
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
    let publishTime = ContinuousClock.now - start
    for mailbox in mailboxes.prefix(2) { mailbox.cancel() }
    while mailboxes[2].metrics().depth > 0 { try await Task.sleep(for: .milliseconds(10)) }
    print("\n")
    let seconds = Double(publishTime.components.seconds) + Double(publishTime.components.attoseconds) / 1e18
    print(
        "published \(total) readings (\(alerts) high-priority alerts) in \(String(format: "%.2f", seconds)) s: \(Int(Double(total) / seconds)) readings/s\n"
    )
    print("consumer                     handled   dropped  alerts seen")
    print("───────────────────────────  ────────  ───────  ───────────")
    for (consumer, mailbox) in zip(consumers, mailboxes) {
        let metrics = mailbox.metrics()
        print(
            consumer.name.padding(toLength: 27, withPad: " ", startingAt: 0) + "  "
                + String(consumer.handled.load(ordering: .relaxed)).padding(toLength: 8, withPad: " ", startingAt: 0)
                + "  "
                + String(metrics.dropped).padding(toLength: 7, withPad: " ", startingAt: 0) + "  "
                + String(consumer.alertPositions.withLock { $0.count })
        )
    }
    print("\nthe archive never dropped a reading: its publisher waited instead (backpressure);")
    print("alerts travel in the high lane and overtake the low-priority bulk waiting in every mailbox.")
    await bus.shutdown(draining: .seconds(1))
} catch let error as ArgumentError {
    print(error.description)
    exit(error.exitCode)
}
