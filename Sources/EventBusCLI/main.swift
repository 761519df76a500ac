import CommandLineSupport
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation

/// `eventbus`: tools for durable mailboxes. (The benchmarks are `eventbus-bench`, in the nested
/// `Benchmarks/` package.)
let commands: [(name: String, summary: String)] = [
    ("inspect", "list the durable mailboxes in a directory: depth, in-flight, dead letters, segments, bytes"),
    ("verify", "check every record's checksum; exits 1 on corruption"),
    ("dump", "print the pending events and dead letters of one mailbox"),
    ("requeue", "move a mailbox's dead letters back to pending (alias: requeue-dead)"),
    ("remove", "delete a durable mailbox and its files (refused while a process has it open)"),
    ("crashtest", "kill a publishing child process again and again; check nothing acknowledged is lost"),
    ("powerloss", "simulate power losses at seeded crash points on an in-memory file system"),
]

let topHelp = """
    eventbus — tools for EventBus

    usage: eventbus COMMAND [arguments] [--help]

    commands:
    \(commands.map { "  " + $0.name.padding(toLength: 14, withPad: " ", startingAt: 0) + $0.summary }.joined(separator: "\n"))

    benchmarks: swift run -c release --package-path Benchmarks eventbus-bench --help
    """

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, command != "--help", command != "-h" else {
    print(topHelp)
    exit(arguments.isEmpty ? 64 : 0)
}
let rest = Array(arguments.dropFirst())

do {
    let status: Int32
    switch command {
    case "inspect": status = try MailboxTools.inspect(rest)
    case "verify": status = try MailboxTools.verify(rest)
    case "dump": status = try MailboxTools.dump(rest)
    case "requeue", "requeue-dead": status = try await MailboxTools.requeueDead(rest)
    case "remove": status = try MailboxTools.remove(rest)
    case "crashtest": status = try await CrashTest.run(rest)
    case "crashtest-child": status = try await CrashTest.child(rest)
    case "powerloss": status = try await PowerLoss.run(rest)
    default: throw ArgumentError.unknownCommand(command, known: commands.map(\.name))
    }
    exit(status)
} catch {
    CommandExit(for: error, command: "eventbus \(command)").printAndExit()
}
