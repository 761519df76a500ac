import CommandLineSupport

// `eventbus-bench [--quick] [--json] [--filter TEXT] [--dir PATH]`: see `Bench`.
await CommandExit.run("eventbus-bench") {
    try await Bench.run(Array(CommandLine.arguments.dropFirst()))
}
