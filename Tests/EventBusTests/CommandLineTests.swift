import CommandLineSupport
import Testing

@Suite struct CommandLineTests {
    let spec = CommandSpec(
        name: "eventbus crashtest",
        summary: "kill and recover",
        positionals: [],
        options: [
            OptionSpec("--cycles", value: "N", help: "how many"),
            OptionSpec("--dir", value: "PATH", help: "where"),
            OptionSpec("--quick", help: "fewer"),
        ]
    )

    @Test func parsesValuesFlagsAndInlineValues() throws {
        let parsed = try spec.parse(["--cycles", "30", "--quick", "--dir=/tmp/x"])
        #expect(try parsed.int("--cycles", default: 1) == 30)
        #expect(parsed.has("--quick"))
        #expect(parsed.value("--dir") == "/tmp/x")
        #expect(try parsed.int("--missing", default: 5) == 5)
    }

    @Test func helpIsRequestedWithExitZero() {
        #expect {
            try spec.parse(["--quick", "--help"])
        } throws: { error in
            guard let error = error as? ArgumentError, case .helpRequested(let text) = error else { return false }
            return text.contains("--cycles N") && text.contains("usage:") && error.exitCode == 0
        }
    }

    @Test func anUnknownFlagIsAClearError() {
        #expect(
            throws: ArgumentError.unknownOption(
                "--cycels",
                command: "eventbus crashtest",
                known: ["--cycles", "--dir", "--quick"]
            )
        ) {
            try spec.parse(["--cycels", "3"])
        }
        let message = ArgumentError.unknownOption("--x", command: "c", known: ["--y"]).description
        #expect(message == "c: unknown option --x (known: --y); see --help")
        #expect(ArgumentError.unknownOption("--x", command: "c", known: []).exitCode == 64)
    }

    @Test func missingAndBadValuesAreRefused() throws {
        #expect(throws: ArgumentError.missingValue("--cycles")) { try spec.parse(["--cycles"]) }
        #expect(throws: ArgumentError.missingValue("--cycles")) { try spec.parse(["--cycles", "--quick"]) }
        #expect(throws: ArgumentError.unexpectedValue("--quick")) { try spec.parse(["--quick=yes"]) }
        let parsed = try spec.parse(["--cycles", "many"])
        #expect(throws: ArgumentError.self) { try parsed.int("--cycles", default: 1) }
        let negative = try spec.parse(["--cycles", "-3"])
        #expect(throws: ArgumentError.self) { try negative.int("--cycles", default: 1, in: 1...100) }
    }

    @Test func positionalsAreCountedExactly() throws {
        let verify = CommandSpec(name: "eventbus verify", summary: "check", positionals: ["DIR"])
        #expect(try verify.parse(["/data"]).positionals == ["/data"])
        #expect(throws: ArgumentError.missingArgument("DIR", command: "eventbus verify")) { try verify.parse([]) }
        #expect(throws: ArgumentError.unexpectedArgument("extra", command: "eventbus verify")) {
            try verify.parse(["/data", "extra"])
        }
    }
}
