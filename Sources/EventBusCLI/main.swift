import CommandLineSupport
import Foundation

/// `eventbus`: tools for durable mailboxes and PostgreSQL consumer groups (the verbs are in
/// EventBusTool.swift). (The benchmarks are `eventbus-bench`, in the nested `Benchmarks/` package.)
let topHelp = """
    eventbus — tools for EventBus

    usage: eventbus COMMAND [arguments] [--help]

    commands:
    \(EventBusTool.commands.helpLines().joined(separator: "\n"))

    PostgreSQL consumer groups (built with --traits PostgresSupport): inspect, dump, requeue, remove,
    purge and migrate take --postgres postgres://user@host:port/database instead of DIR.

    benchmarks: swift run -c release --package-path Benchmarks eventbus-bench --help
    """

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first, command != "--help", command != "-h" else {
    print(topHelp)
    exit(arguments.isEmpty ? 64 : 0)
}
let rest = Array(arguments.dropFirst())

do {
    exit(try await EventBusTool.run(command, rest))
} catch {
    CommandExit(for: error, command: "eventbus \(command)").printAndExit()
}
