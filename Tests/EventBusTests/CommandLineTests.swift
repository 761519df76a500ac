import CommandLineSupport
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Testing

@testable import EventBusCLI

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

/// `--postgres URL`: the URL parsed by hand and never printed with its password, and the tool's
/// verbs without the trait PostgresSupport. (In the suite, so that `--filter CommandLineTests`
/// runs them.)
extension CommandLineTests {
    @Test func aURLGivesEachPartPercentDecodedAndLibpqDefaults() throws {
        let url = try PostgresURL(parsing: "postgresql://shop%40eu:p%40ss%3Aword@db.internal:6543/orders%20eu")
        #expect(url.user == "shop@eu")
        #expect(url.password == "p@ss:word")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.database == "orders eu")
        #expect(url.tlsMode == .prefer)
        let short = try PostgresURL(parsing: "postgres://eventbus@127.0.0.1?sslmode=require")
        #expect(short.port == 5432)
        #expect(short.database == nil)
        #expect(short.password == nil)
        #expect(short.tlsMode == .require)
        #expect(try PostgresURL(parsing: "postgres://u@h/d?sslmode=verify-full").tlsMode == .verifyFull)
        #expect(try PostgresURL(parsing: "postgres://u@h/d?sslmode=disable").tlsMode == .disable)
    }

    @Test func withoutAPasswordInTheURLPGPASSWORDIsUsedAndTheURLStillWins() throws {
        let fromEnvironment = try PostgresURL(parsing: "postgres://u@h/d", environment: ["PGPASSWORD": "env-secret"])
        #expect(fromEnvironment.password == "env-secret")
        #expect(!"\(fromEnvironment)".contains("env-secret"))
        var dumped = ""
        dump(fromEnvironment, to: &dumped)
        #expect(!dumped.contains("env-secret"))
        let given = try PostgresURL(parsing: "postgres://u:url-secret@h/d", environment: ["PGPASSWORD": "env-secret"])
        #expect(given.password == "url-secret")
    }

    @Test func thePasswordIsRedactedEvenFromTextThatIsNotAURL() throws {
        #expect(PostgresURL.redact("postgres://u:secret@h:5432/d") == "postgres://u:***@h:5432/d")
        #expect(PostgresURL.redact("postgres://u@h/d") == "postgres://u@h/d")
        #expect(PostgresURL.redact("postgres://u:se@cr/et@h/d") == "postgres://u:***@h/d")
        #expect(PostgresURL.redact("u:secret@h") == "u:***@h")
        #expect(
            PostgresURL.redact("postgres://h/d?password=secret&sslmode=require")
                == "postgres://h/d?password=***&sslmode=require"
        )
        #expect(PostgresURL.redact("postgres://u:secret@h:port/d") == "postgres://u:***@h:port/d")
        #expect(try PostgresURL(parsing: "postgres://u:secret@h/d").description == "postgres://u:***@h/d")
    }

    @Test func aBadURLIsATypedErrorThatShowsItRedacted() throws {
        func reason(_ text: String) -> PostgresURLError.Reason? {
            do {
                _ = try PostgresURL(parsing: text)
                return nil
            } catch {
                #expect(!error.description.contains("secret"))
                #expect(error.description.hasPrefix("invalid PostgreSQL URL "))
                return error.reason
            }
        }
        #expect(reason("postgres://u:secret@h:port/d") == .notAURL)
        #expect(reason("mysql://u:secret@h/d") == .scheme("mysql"))
        #expect(reason("postgres://:secret@h/d") == .noUser)
        #expect(reason("postgres:///d") == .noHost)
        #expect(reason("postgres://u:secret@h:0/d") == .port)
        #expect(reason("postgres://u:secret@h/d/e") == .database)
        #expect(reason("postgres://u:secret@h/d?sslmode=allow") == .sslMode("allow"))
        #expect(reason("postgres://u@h/d?password=secret") == .parameter("password"))
        let error = PostgresURLError(url: "postgres://u:***@h/d", reason: .sslMode("allow"))
        #expect(
            error.description
                == "invalid PostgreSQL URL postgres://u:***@h/d: sslmode \"allow\" is not one of disable, prefer, require, "
                + "verify-full; expected postgres://user[:password]@host[:port]/database"
                + "[?sslmode=disable|prefer|require|verify-full]"
        )
    }

    /// What `eventbus <arguments>` ends with, as it prints it.
    private func exit(_ arguments: [String]) async -> CommandExit {
        do {
            let status = try await EventBusTool.run(arguments[0], Array(arguments.dropFirst()), environment: [:]) { _ in
            }
            return CommandExit(message: "", toStandardError: false, status: status)
        } catch {
            return CommandExit(for: error, command: "eventbus \(arguments[0])")
        }
    }

    @Test func withoutTheTraitPostgresIsRefusedWithTheWayToBuildIt() async {
        let url = "postgres://u:secret@h:notaport/d"
        for arguments in [
            ["inspect", "--postgres", url], ["dump", "--postgres=\(url)", "--mailbox", "billing"],
            ["requeue-dead", "--mailbox", "billing", "--postgres", url], ["remove", "--postgres", url],
            ["purge", "--postgres", url, "--mailbox", "billing"], ["migrate", "--postgres", url],
        ] {
            let outcome = await exit(arguments)
            #expect(!outcome.message.contains("secret"))
            #expect(outcome.toStandardError)
            #if PostgresSupport
                // Built with the trait, the URL is parsed (and refused) before any connection.
                #expect(outcome.message.contains("invalid PostgreSQL URL postgres://u:***@h:notaport/d"))
            #else
                #expect(
                    outcome.message
                        == "eventbus \(arguments[0]): this eventbus was built without the PostgresSupport trait: "
                        + "swift build --traits PostgresSupport"
                )
                #expect(outcome.status == 1)
            #endif
        }
    }

    @Test func theLocalVerbsListPostgresInTheirHelpAndMigrateNeedsIt() async {
        let help = await exit(["inspect", "--help"])
        #expect(help.status == 0)
        #expect(help.message.contains("--postgres URL"))
        #expect(help.message.contains("usage: eventbus inspect DIR"))
        // purge is local too now: without --postgres it wants a directory.
        let purge = await exit(["purge", "--mailbox", "billing"])
        #expect(purge.message == "eventbus purge: missing DIR; see --help")
        #expect(purge.status == 64)
        #if PostgresSupport
            let migrate = await exit(["migrate"])
            #expect(migrate.message == "eventbus migrate: missing --postgres URL; see --help")
            #expect(migrate.status == 64)
        #else
            let migrate = await exit(["migrate"])
            #expect(
                migrate.message.hasSuffix(
                    "built without the PostgresSupport trait: swift build --traits PostgresSupport"
                )
            )
        #endif
    }

    @Test func aLastPositionalEndingInDotsTakesAnyNumber() throws {
        let dashboard = CommandSpec(name: "eventbus dashboard", summary: "serve", positionals: ["DIR..."])
        #expect(try dashboard.parse([]).positionals == [])
        #expect(try dashboard.parse(["/a", "/b", "/c"]).positionals == ["/a", "/b", "/c"])
        let copy = CommandSpec(name: "copy", summary: "copy", positionals: ["TO", "FROM..."])
        #expect(throws: ArgumentError.missingArgument("TO", command: "copy")) { try copy.parse([]) }
        #expect(try copy.parse(["/to"]).positionals == ["/to"])
    }
}
