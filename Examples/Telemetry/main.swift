// Telemetry — a flood of sensor readings into bounded mailboxes with different overflow
// policies, a deliberately slow consumer, and high-priority alerts that overtake bulk data.
import CommandLineSupport
import EventBus
import Foundation
import Synchronization

struct Reading: Event {
    let index: Int
    let sensor: Int
    let value: Double
    let isAlert: Bool
}

let spec = CommandSpec(
    name: "swift run Telemetry",
    summary: "floods, backpressure, drop policies and priority alerts",
    options: [OptionSpec("--readings", value: "N", help: "readings to publish (default 50000)")]
)

/// A consumer that handles readings at a fixed pace and notes, for each alert, how many earlier
/// bulk readings were still waiting when the alert was handled (the readings it overtook).
final class Consumer: Sendable {
    let name: String
    let policy: OverflowPolicy
    let slow: Bool
    let handled = Atomic<Int>(0)
    let alerts = Mutex<(count: Int, overtaken: Int, lastBulk: Int)>((0, 0, -1))

    init(name: String, policy: OverflowPolicy, slow: Bool) {
        self.name = name
        self.policy = policy
        self.slow = slow
    }

    func start(on bus: Bus) async throws -> Deliveries<Reading> {
        let mailbox = try await bus.subscribe(
            Reading.self,
            mailbox: .memory(.bounded(1_000, overflow: policy), name: name)
        )
        Task {
            for try await delivery in mailbox {
                let position = handled.add(1, ordering: .relaxed).newValue
                let reading = delivery.event
                alerts.withLock { state in
                    if reading.isAlert {
                        state.count += 1
                        state.overtaken += max(0, reading.index - state.lastBulk - 1)
                    } else {
                        state.lastBulk = max(state.lastBulk, reading.index)
                    }
                }
                // The slow consumers handle about 2,500 readings a second.
                if slow && position % 5 == 0 { try await Task.sleep(for: .milliseconds(2)) }
            }
        }
        return mailbox
    }
}

await CommandExit.run("telemetry") {
    let total = try spec.parse(Array(CommandLine.arguments.dropFirst())).int(
        "--readings",
        default: 50_000,
        in: 1_000...10_000_000
    )
    let bus = Bus()
    let consumers = [
        Consumer(name: "dashboard (dropOldest)", policy: .dropOldest, slow: true),
        Consumer(name: "sampler (dropNewest)", policy: .dropNewest, slow: true),
        Consumer(name: "archive (suspendPublisher)", policy: .suspendPublisher, slow: false),
    ]
    var mailboxes: [Deliveries<Reading>] = []
    for consumer in consumers {
        mailboxes.append(try await consumer.start(on: bus))
    }
    let start = ContinuousClock.now
    var alerts = 0
    for index in 0..<total {
        let isAlert = index % 5_000 == 4_999
        if isAlert { alerts += 1 }
        try await bus.publish(
            Reading(index: index, sensor: index % 64, value: Double(index % 1_000) / 10, isAlert: isAlert),
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
    while mailboxes[2].metrics().depth > 0 { try await Task.sleep(for: .milliseconds(10)) }
    for mailbox in mailboxes.prefix(2) { mailbox.cancel() }
    print("\n")
    let seconds = Double(publishTime.components.seconds) + Double(publishTime.components.attoseconds) / 1e18
    print(
        "published \(total) readings (\(alerts) high-priority alerts) in \(String(format: "%.2f", seconds)) s: \(Int(Double(total) / seconds)) readings/s\n"
    )
    print("consumer                     handled   dropped  alerts  bulk readings each alert overtook (avg)")
    print("───────────────────────────  ────────  ───────  ──────  ────────────────────────────────────────")
    for (consumer, mailbox) in zip(consumers, mailboxes) {
        let metrics = mailbox.metrics()
        let alerts = consumer.alerts.withLock { $0 }
        let overtaken = alerts.count == 0 ? 0 : alerts.overtaken / alerts.count
        print(
            consumer.name.padding(toLength: 27, withPad: " ", startingAt: 0) + "  "
                + String(consumer.handled.load(ordering: .relaxed)).padding(toLength: 8, withPad: " ", startingAt: 0)
                + "  " + String(metrics.dropped).padding(toLength: 7, withPad: " ", startingAt: 0) + "  "
                + String(alerts.count).padding(toLength: 6, withPad: " ", startingAt: 0) + "  " + String(overtaken)
        )
    }
    print("\nthe slow consumers keep their bounded mailboxes full and drop by their policy; the archive")
    print("never drops: the publisher waits for it instead (backpressure). Alerts travel in the high lane")
    print("and overtake the low-priority bulk readings already waiting in each mailbox. Note what the")
    print("policies do to alerts: dropOldest drops from the lowest lane, so alerts survive; dropNewest")
    print("refuses whatever arrives while the mailbox is full — alerts included.")
    await bus.shutdown(draining: .seconds(1))
}
