import CommandLineSupport
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
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

    @Test func aVerbResolvesByItsNameOrAnAliasAndAnUnknownOneIsAClearError() throws {
        let table = SubcommandTable(
            [.init("inspect", summary: "look"), .init("requeue", aliases: ["requeue-dead"], summary: "retry")],
            hidden: ["child"]
        )
        #expect(try table.resolve("requeue") == "requeue")
        #expect(try table.resolve("requeue-dead") == "requeue")
        #expect(try table.resolve("child") == "child")
        #expect(throws: ArgumentError.unknownCommand("requeued", known: ["inspect", "requeue"])) {
            try table.resolve("requeued")
        }
        #expect(table.helpLines() == ["  inspect       look", "  requeue       retry (alias: requeue-dead)"])
    }

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

    struct Broken: Error, CustomStringConvertible {
        var description: String { "the disk is full" }
    }

    @Test func eachErrorEndsWithItsOwnStatusAndStream() {
        let help = CommandExit(for: ArgumentError.helpRequested("usage: x"), command: "x")
        #expect(help == CommandExit(message: "usage: x", toStandardError: false, status: 0))
        let usage = CommandExit(for: ArgumentError.missingValue("--dir"), command: "eventbus-bench")
        #expect(
            usage == CommandExit(message: "option --dir needs a value; see --help", toStandardError: true, status: 64)
        )
        let failure = CommandExit(for: Broken(), command: "eventbus-bench")
        #expect(failure == CommandExit(message: "eventbus-bench: the disk is full", toStandardError: true, status: 1))
    }

    @Test func aScratchDirectoryIsPrivateAndRemovedWithItsContents() throws {
        let scratch = try ScratchDirectory.create(prefix: "eventbus-cli-test")
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        try FileManager.default.createDirectory(atPath: scratch.path + "/mailbox", withIntermediateDirectories: false)
        #expect(FileManager.default.createFile(atPath: scratch.path + "/mailbox/00000001.log", contents: Data([1])))
        scratch.remove()
        #expect(!FileManager.default.fileExists(atPath: scratch.path))
        scratch.remove()  // already gone: not an error
    }

    @Test func aGivenDirectoryIsUsedAsIsAndNeverMadeOrRemoved() throws {
        let (path, scratch) = try ScratchDirectory.path("/data/mailboxes", orScratchWithPrefix: "unused")
        #expect(path == "/data/mailboxes")
        #expect(scratch == nil)
        let (made, madeScratch) = try ScratchDirectory.path(nil, orScratchWithPrefix: "eventbus-cli-test")
        defer { madeScratch?.remove() }
        #expect(madeScratch?.path == made)
        #expect(FileManager.default.fileExists(atPath: made))
    }

    @Test func aScratchDirectoryThatCannotBeMadeIsATypedError() {
        #expect {
            try ScratchDirectory.create(prefix: "no/such/parent/dir")
        } throws: { error in
            guard let error = error as? ScratchDirectoryError else { return false }
            return error.description.contains("cannot create a temporary directory")
                && error.description.contains("TMPDIR")
        }
    }

    @Test func aTextTableAlignsItsColumnsUnderAnUnderlinedHeader() {
        let text = TextTable.render([["mailbox", "depth"], ["billing", "3"], ["a", "12"]])
        #expect(text == "mailbox  depth\n-------  -----\nbilling  3\na        12")
        #expect(TextTable.render([]) == "")
    }
}
