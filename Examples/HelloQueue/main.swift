// HelloQueue — the classic producer/consumer on a named point-to-point queue.
//
// A producer sends "Hello World!" messages to the queue "hello"; two competing consumers
// receive them, each message goes to exactly one of them, in FIFO order, and is acknowledged.
// The queue is durable: every message is stored on disk before `send` returns, and one that was
// not acknowledged would come back after a crash.
import CommandLineSupport
import EventBus
import Foundation
import Synchronization

struct Greeting: Event, Codable {
    let number: Int
    let text: String
}

let spec = CommandSpec(
    name: "swift run HelloQueue",
    summary: "producer and two competing consumers on the queue \"hello\"",
    options: [OptionSpec("--messages", value: "N", help: "how many messages to send (default 10)")]
)

/// What each consumer received, in order.
final class Received: Sendable {
    private let state = Mutex<[String: [Int]]>([:])
    func add(_ consumer: String, _ number: Int) { state.withLock { $0[consumer, default: []].append(number) } }
    var all: [String: [Int]] { state.withLock { $0 } }
}

await CommandExit.run("helloqueue") {
    let messages = try spec.parse(Array(CommandLine.arguments.dropFirst())).int(
        "--messages",
        default: 10,
        in: 1...100_000
    )
    let scratch = try ScratchDirectory.create(prefix: "helloqueue")
    defer { scratch.remove() }
    let hello = Mailbox.durable(name: "hello", directory: scratch.path)
    let bus = Bus()
    let received = Received()
    for consumer in ["A", "B"] {
        try await bus.consume(Greeting.self, from: "hello", mailbox: hello) { greeting in
            received.add(consumer, greeting.number)
            if messages <= 20 { print("  consumer \(consumer)  ← \(greeting.text)  (acked)") }
        }
    }
    print("producer → durable queue \"hello\" in \(scratch.path): \(messages) messages\n")
    for number in 1...messages {
        try await bus.send(Greeting(number: number, text: "Hello World! #\(number)"), to: "hello")
    }
    await bus.waitUntilIdle()
    let all = received.all
    let everything = all.values.flatMap { $0 }
    print("")
    for consumer in all.keys.sorted() {
        let numbers = all[consumer] ?? []
        print(
            "consumer \(consumer): \(numbers.count) messages, in FIFO order: \(numbers == numbers.sorted() ? "yes" : "NO")"
        )
    }
    print("delivered exactly once: \(everything.count == messages && Set(everything).count == messages ? "yes" : "NO")")
    await bus.shutdown()
}
