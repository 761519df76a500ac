import CommandLineSupport
import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation

/// `inspect`, `verify`, `dump`, `requeue` (alias `requeue-dead`), `purge` and `remove`, on the
/// local durable mailboxes under a directory. (With `--postgres URL` they are ``PostgresTools``.)
/// The operations that change a mailbox are functions of their own (``purge(directory:name:)``,
/// ``remove(directory:name:)``) that `eventbus dashboard` calls too.
enum MailboxTools {
    /// Listed in the help of the verbs that also take it; ``EventBusTool`` hands those arguments
    /// to ``PostgresTools`` before these specs parse them.
    static let postgresOption = OptionSpec(
        "--postgres",
        value: "URL",
        help: "a PostgreSQL database's consumer groups instead of DIR (--postgres URL --help)"
    )
    static let inspectSpec = CommandSpec(
        name: "eventbus inspect",
        summary: "list the durable mailboxes under DIR",
        positionals: ["DIR"],
        options: [postgresOption]
    )
    static let verifySpec = CommandSpec(
        name: "eventbus verify",
        summary: "check every record's CRC under DIR; exit 1 on corruption",
        positionals: ["DIR"]
    )
    static let dumpSpec = CommandSpec(
        name: "eventbus dump",
        summary: "print a mailbox's pending events and dead letters",
        positionals: ["DIR"],
        options: [
            OptionSpec("--mailbox", value: "NAME", help: "the mailbox (required)"), BodyOpener.option, postgresOption,
        ]
    )
    static let requeueSpec = CommandSpec(
        name: "eventbus requeue",
        summary: "move a mailbox's dead letters back to pending (alias: requeue-dead)",
        positionals: ["DIR"],
        options: [
            OptionSpec("--mailbox", value: "NAME", help: "the mailbox (required)"),
            OptionSpec("--ids", value: "ID,ID,…", help: "only these dead letters (default: all of them)"),
            postgresOption,
        ]
    )
    static let purgeSpec = CommandSpec(
        name: "eventbus purge",
        summary: "delete a mailbox's pending events and dead letters; the mailbox stays "
            + "(refused while a process has it open)",
        positionals: ["DIR"],
        options: [OptionSpec("--mailbox", value: "NAME", help: "the mailbox (required)"), postgresOption]
    )
    static let removeSpec = CommandSpec(
        name: "eventbus remove",
        summary: "delete a durable mailbox: its events, dead letters and quarantined ranges",
        positionals: ["DIR"],
        options: [OptionSpec("--mailbox", value: "NAME", help: "the mailbox (required)"), postgresOption]
    )

    static func inspect(_ arguments: [String]) throws -> Int32 {
        let directory = try inspectSpec.parse(arguments).positionals[0]
        let inspector = LogInspector()
        let names = try inspector.mailboxes(in: directory)
        guard !names.isEmpty else {
            print("no durable mailboxes under \(directory)")
            return 0
        }
        var rows: [[String]] = [["mailbox", "depth", "in-flight", "dead", "segments", "bytes", "records", "status"]]
        for name in names {
            let report = try inspector.inspect(directory + "/" + name, name: name)
            rows.append([
                name, String(report.pending.count), String(report.inFlight), String(report.dead.count),
                String(report.segments.count), String(report.bytes), String(report.records),
                report.isCorrupt ? "CORRUPT" : (report.tornBytes.isEmpty ? "ok" : "torn tail"),
            ])
        }
        print(TextTable.render(rows))
        return 0
    }

    static func verify(_ arguments: [String]) throws -> Int32 {
        let directory = try verifySpec.parse(arguments).positionals[0]
        let inspector = LogInspector()
        var corrupt = false
        let names = try inspector.mailboxes(in: directory)
        for name in names {
            let report = try inspector.inspect(directory + "/" + name, name: name)
            for (segment, range) in report.corruptRanges {
                print("\(name)/\(segment): corrupt bytes \(range.lowerBound)..<\(range.upperBound)")
            }
            for segment in report.badHeaders { print("\(name)/\(segment): bad header") }
            for (segment, bytes) in report.tornBytes {
                print("\(name)/\(segment): torn tail of \(bytes) bytes (cut when the mailbox next opens)")
            }
            corrupt = corrupt || report.isCorrupt
            print(
                "\(name): \(report.records) records in \(report.segments.count) segments, "
                    + (report.isCorrupt ? "CORRUPT" : "ok")
            )
        }
        print("verify: \(names.count) mailboxes, \(corrupt ? "corruption found" : "no corruption")")
        return corrupt ? 1 : 0
    }

    /// Pending events and dead letters, read without the mailbox's lock. Each row has the event's
    /// name, schema version and codec; a dead letter its reason; an encrypted body is shown as
    /// such.
    static func dump(_ arguments: [String], output: (String) -> Void) throws -> Int32 {
        let parsed = try dumpSpec.parse(arguments)
        let name = try mailbox(parsed)
        try StoreFailure.validate(name: name)
        let directory = parsed.positionals[0]
        let open = try BodyOpener.make(path: parsed.value("--keys"))
        let report = try LogInspector().inspect(directory + "/" + name, name: name)
        var rows: [[String]] = [["state", "id", "seq", "attempts", "lane", "event", "version", "codec", "body"]]
        for event in report.pending + report.dead {
            let stored = try? StoredEnvelope(parsing: event.body)
            let codec = stored.map { $0.codecID ?? "json" }
            rows.append([
                event.deadReason.map { "dead: \(DeadLetterRows.clipped(DeadLetterReason(storedText: $0).description))" }
                    ?? (event.isInFlight ? "in-flight" : "pending"),
                event.id.description, String(event.sequence), String(event.attempts), "\(event.priority)",
                PostgresTools.cell(stored?.eventName ?? "?"), stored.map { String($0.schemaVersion) } ?? "?",
                PostgresTools.cell(codec ?? "?"),
                PostgresTools.cell(
                    stored.flatMap { open?(Array(event.body[$0.bodyOffset...]), $0.info(id: event.id)) }
                        ?? DeadLetterRows.preview(
                            body: stored.map { Array(event.body[$0.bodyOffset...]) } ?? event.body,
                            codecID: codec
                        )
                ),
            ])
        }
        output(TextTable.render(rows))
        output("\(report.pending.count) pending, \(report.dead.count) dead")
        return 0
    }

    /// Opens the mailbox (refused while a process has it open) and moves its dead letters — all,
    /// or those of `--ids` — back to pending. Ids that are not dead letters of the mailbox are
    /// refused, and then nothing is requeued.
    static func requeueDead(_ arguments: [String], output: (String) -> Void) async throws -> Int32 {
        let parsed = try requeueSpec.parse(arguments)
        let name = try mailbox(parsed)
        var wanted: Set<EventID>?
        if let list = PostgresTools.ids(parsed.value("--ids")) {
            var ids: Set<EventID> = []
            for text in list {
                guard let id = EventID(text) else {
                    throw ArgumentError.invalidValue("--ids", value: text, expected: "event ids of 32 hex digits")
                }
                ids.insert(id)
            }
            wanted = ids
        }
        let log = try FileLog(directory: parsed.positionals[0], name: name, sync: .always, codec: RawRecordCodec())
        defer { log.close() }
        let recovered = try log.recover()
        let dead = recovered.deadLetters.map(\.event.id)
        if let wanted {
            let missing = wanted.subtracting(dead)
            guard missing.isEmpty else {
                throw MailboxToolError.notDeadLetters(mailbox: name, ids: missing.map(\.description).sorted())
            }
        }
        let ids = dead.filter { wanted?.contains($0) ?? true }
        if !ids.isEmpty { try await log.requeue(ids) }
        output("requeued \(ids.count) dead letters in \(name)")
        return 0
    }

    static func purge(_ arguments: [String]) async throws -> Int32 {
        let parsed = try purgeSpec.parse(arguments)
        let name = try mailbox(parsed)
        let report = try await purge(directory: parsed.positionals[0], name: name)
        print("purged mailbox \(name): deleted \(report); the mailbox stays (eventbus remove deletes it)")
        return 0
    }

    static func remove(_ arguments: [String]) throws -> Int32 {
        let parsed = try removeSpec.parse(arguments)
        let name = try mailbox(parsed)
        try remove(directory: parsed.positionals[0], name: name)
        print("removed mailbox \(name) from \(parsed.positionals[0])")
        return 0
    }

    /// Deletes the pending events and dead letters of the mailbox `name` under `directory`
    /// through the bus (``Bus/purgeMailbox(_:)``); the mailbox stays.
    /// - Throws: `BusError.mailboxUnavailable` (locked while a process has it open).
    static func purge(directory: String, name: String) async throws -> PurgeReport {
        // A bus of its own that declares nothing (dropped, it releases nothing it does not have).
        try await Bus().purgeMailbox(.durable(name: name, directory: directory))
    }

    /// Deletes the mailbox `name` under `directory` and its files.
    /// - Throws: `StoreFailure` (``StoreFailure/locked(path:)`` while a process has it open).
    static func remove(directory: String, name: String) throws {
        try FileLog<[UInt8]>.removeMailbox(directory: directory, name: name, fileSystem: PosixFileSystem())
    }

    private static func mailbox(_ parsed: ParsedArguments) throws(ArgumentError) -> String {
        guard let name = parsed.value("--mailbox") else {
            throw .missingArgument("--mailbox NAME", command: "eventbus")
        }
        return name
    }

    /// The body as text when it is printable UTF-8, else as hex; at most 60 characters.
    static func preview(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self), text.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) {
            return text.count > 60 ? String(text.prefix(57)) + "..." : text
        }
        let hex = bytes.prefix(28).map {
            String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
        }
        return hex.joined() + (bytes.count > 28 ? "..." : "")
    }
}
