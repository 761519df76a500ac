import CommandLineSupport
import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation

/// The event the crash test publishes: its check text is derived from its sequence number, so
/// a delivered record whose content does not match is counted as corrupt.
struct CrashEvent: Event, Codable {
    static let eventName = "eventbus.crashtest.v1"
    let sequence: Int
    let check: String

    init(sequence: Int) {
        self.sequence = sequence
        self.check = CrashEvent.expectedCheck(sequence)
    }

    static func expectedCheck(_ sequence: Int) -> String {
        String(repeating: "crash-\(sequence)-", count: 1 + sequence % 7)
    }
}

/// `eventbus crashtest`: a child process publishes to a durable mailbox with `sync: .always`
/// and writes each acknowledged id to a file; the parent kills it with SIGKILL at a random
/// moment, reopens the mailbox, consumes everything, and checks that every acknowledged id was
/// delivered and that no delivered record was corrupt.
enum CrashTest {
    static let spec = CommandSpec(
        name: "eventbus crashtest",
        summary: "kill a publishing process repeatedly; nothing acknowledged may be lost",
        options: [
            OptionSpec("--cycles", value: "N", help: "kill-and-recover cycles (default 100)"),
            OptionSpec("--dir", value: "PATH", help: "directory for the mailbox (default: a new temporary one)"),
            OptionSpec("--seed", value: "N", help: "seed for the kill moments (default: random)"),
        ]
    )

    static let childSpec = CommandSpec(
        name: "eventbus crashtest-child",
        summary: "internal: publish until killed",
        options: [
            OptionSpec("--dir", value: "PATH", help: "mailbox directory"),
            OptionSpec("--acks", value: "FILE", help: "where to write acknowledged ids"),
            OptionSpec("--start", value: "N", help: "first sequence number"),
        ]
    )

    static let mailboxName = "crashtest"

    static func run(_ arguments: [String]) async throws -> Int32 {
        let parsed = try spec.parse(arguments)
        let cycles = try parsed.int("--cycles", default: 100, in: 1...1_000_000)
        var random = SplitMix64(seed: UInt64(try parsed.int("--seed", default: Int.random(in: 0...Int(Int32.max)))))
        let (directory, scratch) = try ScratchDirectory.path(
            parsed.value("--dir"),
            orScratchWithPrefix: "eventbus-crashtest"
        )
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var acked = Set<EventID>()
        var delivered = Set<EventID>()
        var duplicates = 0
        var corrupt = 0
        var nextSequence = 0
        for cycle in 1...cycles {
            let acks = directory + "/acks-\(cycle).txt"
            _ = FileManager.default.createFile(atPath: acks, contents: nil, attributes: [.posixPermissions: 0o600])
            let child = Process()
            child.executableURL = executable
            child.arguments = [
                "crashtest-child", "--dir", directory, "--acks", acks, "--start", String(nextSequence),
            ]
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            // Let it publish something, then kill it at a random moment.
            let started = ContinuousClock.now
            while (try? Data(contentsOf: URL(fileURLWithPath: acks)).isEmpty) ?? true,
                ContinuousClock.now - started < .seconds(5), child.isRunning
            {
                try await Task.sleep(for: .milliseconds(1))
            }
            try await Task.sleep(for: .microseconds(Int(random.next() % 20_000)))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            let lines = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: acks))) ?? Data(), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: true)
            for line in lines where line.count == 32 {
                if let id = EventID(String(line)) { acked.insert(id) }
            }
            try? FileManager.default.removeItem(atPath: acks)
            nextSequence += 100_000

            // Recover and consume everything the mailbox holds.
            let bus = Bus()
            let mailbox = try await bus.subscribe(
                CrashEvent.self,
                mailbox: .durable(name: mailboxName, directory: directory, sync: .always),
                retry: .immediate(maxAttempts: 1_000)
            )
            var iterator = mailbox.makeAsyncIterator()
            var remaining = mailbox.metrics().depth
            while remaining > 0, let delivery = try await iterator.next() {
                remaining -= 1
                if delivery.event.check != CrashEvent.expectedCheck(delivery.event.sequence) { corrupt += 1 }
                if !delivered.insert(delivery.metadata.id).inserted { duplicates += 1 }
                try await delivery.ack()
            }
            await bus.shutdown(draining: .seconds(10))
            if cycle % 50 == 0 {
                FileHandle.standardError.write(Data("crashtest: \(cycle)/\(cycles) cycles\n".utf8))
            }
        }
        let lost = acked.subtracting(delivered).count
        print(
            "crashtest: cycles=\(cycles) acked=\(acked.count) delivered=\(delivered.count) lost=\(lost) "
                + "corrupt=\(corrupt) duplicates=\(duplicates)"
        )
        guard lost == 0 && corrupt == 0 else {
            print("crashtest: the mailbox is kept for inspection in \(directory)")
            return 1
        }
        scratch?.remove()
        return 0
    }

    static func child(_ arguments: [String]) async throws -> Int32 {
        let parsed = try childSpec.parse(arguments)
        guard let directory = parsed.value("--dir"), let acks = parsed.value("--acks") else {
            throw ArgumentError.missingArgument("--dir and --acks", command: "eventbus crashtest-child")
        }
        let start = try parsed.int("--start", default: 0)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: acks))
        let bus = Bus()
        let mailbox = try await bus.subscribe(
            CrashEvent.self,
            mailbox: .durable(name: mailboxName, directory: directory, sync: .always, capacity: 10_000_000)
        )
        // Several concurrent publishers, so that crashes also hit shared fsyncs.
        await withTaskGroup(of: Void.self) { group in
            for publisher in 0..<4 {
                group.addTask {
                    var sequence = start + publisher * 25_000
                    while true {
                        guard let report = try? await bus.publish(CrashEvent(sequence: sequence)) else { return }
                        // write(2) straight away: it survives SIGKILL of this process.
                        output.write(Data((report.eventID.description + "\n").utf8))
                        sequence += 1
                    }
                }
            }
        }
        _ = mailbox
        return 0
    }
}

/// `eventbus powerloss`: seeded power cuts on the simulated file system.
enum PowerLoss {
    static let spec = CommandSpec(
        name: "eventbus powerloss",
        summary: "simulate power losses at seeded crash points; nothing acknowledged may be lost",
        options: [
            OptionSpec("--points", value: "N", help: "crash points to simulate (default 10000)"),
            OptionSpec("--seed", value: "N", help: "first seed (default 0)"),
        ]
    )

    static func run(_ arguments: [String]) async throws -> Int32 {
        let parsed = try spec.parse(arguments)
        let points = try parsed.int("--points", default: 10_000, in: 1...100_000_000)
        let first = UInt64(try parsed.int("--seed", default: 0))
        var acknowledged = 0
        var lost = 0
        var corrupt = 0
        for seed in first..<(first + UInt64(points)) {
            let outcome = await PowerLossCheck.run(seed: seed)
            acknowledged += outcome.acknowledged
            lost += outcome.lost
            corrupt += outcome.corrupt
            if outcome.lost > 0 || outcome.corrupt > 0 {
                FileHandle.standardError.write(
                    Data(
                        "powerloss: seed \(seed) lost \(outcome.lost) corrupt \(outcome.corrupt) \(outcome.failure ?? "")\n"
                            .utf8
                    )
                )
            }
            if (seed - first + 1) % 10_000 == 0 {
                FileHandle.standardError.write(Data("powerloss: \(seed - first + 1)/\(points)\n".utf8))
            }
        }
        print("powerloss: points=\(points) acknowledged=\(acknowledged) lost=\(lost) corrupt=\(corrupt)")
        return lost == 0 && corrupt == 0 ? 0 : 1
    }
}
