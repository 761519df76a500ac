import CommandLineSupport
import Foundation

/// The verbs of `eventbus` and where each goes: main.swift calls ``run(_:_:environment:output:)``;
/// the tests call it in-process.
enum EventBusTool {
    static let commands = SubcommandTable(
        [
            .init(
                "inspect",
                summary: "list the durable mailboxes in a directory (or, with --postgres, the consumer groups)"
            ),
            .init("verify", summary: "check every record's checksum; exits 1 on corruption"),
            .init("dump", summary: "print the pending events and dead letters of one mailbox (or consumer group)"),
            .init("requeue", aliases: ["requeue-dead"], summary: "move a mailbox's dead letters back to pending"),
            .init("remove", summary: "delete a durable mailbox and its files (refused while a process has it open)"),
            .init("purge", summary: "delete a mailbox's (or consumer group's) pending events and dead letters"),
            .init("migrate", summary: "apply the consumer groups' schema migrations; print its version (--postgres)"),
            .init(
                "crashtest",
                summary: "kill a publishing child process again and again; check nothing acknowledged is lost"
            ),
            .init("powerloss", summary: "simulate power losses at seeded crash points on an in-memory file system"),
            .init(
                "dashboard",
                summary: "serve the dashboard of the mailboxes under DIR… (or --postgres groups) on loopback"
            ),
        ],
        hidden: ["crashtest-child"]
    )

    /// Runs the verb `command` (as typed: an alias is resolved) with the arguments after it.
    /// Lines of the PostgreSQL verbs, `dump` and `requeue` go to `output`; the others print.
    /// - Returns: the exit status.
    /// - Throws: what the verb throws (``ArgumentError`` for a refused argument).
    static func run(
        _ command: String,
        _ arguments: [String],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        output: (String) -> Void = { print($0) }
    ) async throws -> Int32 {
        let verb = try commands.resolve(command)
        if PostgresTools.verbs.contains(verb), PostgresTools.isRequested(arguments) || PostgresTools.only(verb) {
            return try await PostgresTools.run(verb, arguments, environment: environment, output: output)
        }
        switch verb {
        case "inspect": return try MailboxTools.inspect(arguments)
        case "verify": return try MailboxTools.verify(arguments)
        case "dump": return try MailboxTools.dump(arguments, output: output)
        case "requeue": return try await MailboxTools.requeueDead(arguments, output: output)
        case "remove": return try MailboxTools.remove(arguments)
        case "purge": return try await MailboxTools.purge(arguments)
        case "dashboard":
            return try await DashboardTool.run(arguments, environment: environment) { line in
                // Written at once, not buffered: a supervisor reading a pipe sees it now.
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        case "crashtest": return try await CrashTest.run(arguments)
        case "crashtest-child": return try await CrashTest.child(arguments)
        case "powerloss": return try await PowerLoss.run(arguments)
        default: throw ArgumentError.unknownCommand(command, known: commands.entries.map(\.name))
        }
    }
}
