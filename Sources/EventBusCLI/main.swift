import CommandLineSupport
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation

/// `eventbus`: tools for durable mailboxes. (The benchmarks are `eventbus-bench`, in the nested
/// `Benchmarks/` package.)
let commands = SubcommandTable(
    [
        .init(
            "inspect",
            summary: "list the durable mailboxes in a directory: depth, in-flight, dead letters, segments, bytes"
        ),
        .init("verify", summary: "check every record's checksum; exits 1 on corruption"),
        .init("dump", summary: "print the pending events and dead letters of one mailbox"),
        .init("requeue", aliases: ["requeue-dead"], summary: "move a mailbox's dead letters back to pending"),
        .init("remove", summary: "delete a durable mailbox and its files (refused while a process has it open)"),
        .init(
            "crashtest",
            summary: "kill a publishing child process again and again; check nothing acknowledged is lost"
        ),
        .init("powerloss", summary: "simulate power losses at seeded crash points on an in-memory file system"),
    ],
    hidden: ["crashtest-child"]
)

let topHelp = """
    eventbus — tools for EventBus

    usage: eventbus COMMAND [arguments] [--help]

    commands:
    \(commands.helpLines().joined(separator: "\n"))

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
    switch try commands.resolve(command) {
    case "inspect": status = try MailboxTools.inspect(rest)
    case "verify": status = try MailboxTools.verify(rest)
    case "dump": status = try MailboxTools.dump(rest)
    case "requeue": status = try await MailboxTools.requeueDead(rest)
    case "remove": status = try MailboxTools.remove(rest)
    case "crashtest": status = try await CrashTest.run(rest)
    case "crashtest-child": status = try await CrashTest.child(rest)
    case "powerloss": status = try await PowerLoss.run(rest)
    default: throw ArgumentError.unknownCommand(command, known: commands.entries.map(\.name))
    }
    exit(status)
} catch {
    CommandExit(for: error, command: "eventbus \(command)").printAndExit()
}
