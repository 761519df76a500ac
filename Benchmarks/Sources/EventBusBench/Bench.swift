import CommandLineSupport
import EventBus
import Foundation

/// `eventbus-bench`: every strategy measured side by side with its baselines and peers, in one
/// run. Goals are ratios within the run, never absolute times; nothing here asserts.
enum Bench {
    /// The command's flags, parsed by the project's own hand-written helper.
    static let spec = CommandSpec(
        name: "eventbus-bench",
        summary: "measure every strategy against its baselines and peers (build with -c release)",
        options: [
            OptionSpec("--quick", help: "fewer events per row (about a minute)"),
            OptionSpec("--json", help: "print the results as JSON on stdout (progress goes to stderr)"),
            OptionSpec(
                "--allocations",
                help: "count allocations per event of the in-process rows instead of timing them "
                    + "(a build with the package trait Allocations)"
            ),
            OptionSpec(
                "--filter",
                value: "TEXT",
                help: "only rows whose name contains TEXT; TEXT$ for exactly that row (observer-1$); "
                    + "several, comma-separated (observer-1$,mailbox-1$)"
            ),
            OptionSpec(
                "--retention",
                value: "EVENTS",
                help: "instead of the rows: carry EVENTS events through a PostgreSQL consumer group and print its "
                    + "tables' sizes after 100,000 and every million (needs EVENTBUS_POSTGRES_URL; not in CI)"
            ),
            OptionSpec(
                "--dir",
                value: "PATH",
                help: "directory for the durable rows, each removing its mailbox (default: a scratch one under $TMPDIR)"
            ),
        ]
    )

    /// One row of results: the median of three runs of a case.
    struct Row {
        /// The row's name (`observer-1`).
        let name: String
        /// Nanoseconds per published event (0 for the memory row).
        let nsPerEvent: Double
        /// Deliveries each event makes (10 for the `-10` rows).
        let deliveries: Int
        /// Bytes per queued event, or resident growth, for the memory rows.
        var bytes: Double?
        /// What the table's notes column says besides deliveries and bytes.
        var note: String = ""
        /// For the `.always` rows: raw append + fdatasync measured between the row's own rounds.
        var pairedFsyncNanoseconds: Double?
        /// A durable row's raw group commit measured between its rounds, per record.
        var pairedGroupCommitNanoseconds: Double?
        /// For the latency rows: publish→handler latency percentiles, in nanoseconds.
        var latency: Latency?
        /// For `--allocations`: mallocs and bytes allocated per event, over the whole row.
        var allocations: (perEvent: Double, bytesPerEvent: Double)?
        /// The process's CPU time per event over the timed section (every thread).
        var cpuNsPerEvent: Double?
        /// Events per second, from `nsPerEvent`.
        var eventsPerSecond: Double { nsPerEvent > 0 ? 1e9 / nsPerEvent : 0 }
    }

    /// Publish→handler latency percentiles, in nanoseconds.
    struct Latency {
        let p50: Double
        let p99: Double
        let p999: Double?
    }

    /// Parses `arguments` (without the program name), runs the selected rows and prints the
    /// table and the goals, or the JSON.
    static func run(_ arguments: [String]) async throws {
        let parsed = try spec.parse(arguments)
        let quick = parsed.has("--quick")
        let json = parsed.has("--json")
        let countAllocations = parsed.has("--allocations")
        if countAllocations, let reason = AllocationCounter.prepare() {
            throw BenchFailure(reason)
        }
        if let text = parsed.value("--retention") {
            guard let events = Int(text.replacingOccurrences(of: "_", with: "")), events > 0 else {
                throw BenchFailure("--retention takes a number of events, not \"\(text)\"")
            }
            switch PostgresBench.fromEnvironment(scale: 1) {
            case .success(let bench): try await RetentionMode(bench: bench, events: events).run()
            case .failure(let reason): throw BenchFailure(reason.text)
            }
            return
        }
        let filter = parsed.value("--filter")
        // Durable rows write into `--dir`, else into a scratch directory removed at the end.
        let (directory, scratch) = try ScratchDirectory.path(
            parsed.value("--dir"),
            orScratchWithPrefix: "eventbus-bench"
        )
        defer { scratch?.remove() }
        let scale = quick ? 1 : 5
        var rows: [Row] = []
        // The PostgreSQL rows need a server: without one they are skipped, and the reason printed.
        let postgres = PostgresBench.fromEnvironment(scale: scale)
        var suite = Suite(scale: scale, directory: directory, postgres: try? postgres.get())
        if countAllocations { suite.allocations = AllocationCounter() }
        let selected = suite.cases.filter {
            Bench.selects(filter, $0.name) && (!countAllocations || Bench.isInProcess($0.name))
        }
        if case .failure(let reason) = postgres, PostgresBench.rowNames.contains(where: { Bench.selects(filter, $0) }) {
            FileHandle.standardError.write(Data("bench: the pg- rows are skipped: \(reason.text)\n".utf8))
        }
        // The memory row runs first, on a heap no other row has used yet: free memory that
        // earlier rows leave in an arena's top chunk is allocated from without showing up in
        // the allocator's statistics. The table keeps the suite's order.
        let order =
            selected.filter { $0.name == "bytes-per-queued-event" }
            + selected.filter {
                $0.name != "bytes-per-queued-event"
            }
        for (name, deliveries, body) in order {
            FileHandle.standardError.write(Data("bench: \(name)…\n".utf8))
            var samples: [Row] = []
            if countAllocations {
                // One run: a count, not a time.
                var counted = try await body()
                counted.allocations = suite.allocations?.take()
                samples = [counted, counted, counted]
            } else {
                for _ in 0..<3 {
                    var sample = try await body()
                    sample.cpuNsPerEvent = suite.cpu.take()
                    samples.append(sample)
                }
            }
            // The median by time per event, or by the median latency for a latency row.
            var row = samples.sorted { ($0.latency?.p50 ?? $0.nsPerEvent) < ($1.latency?.p50 ?? $1.nsPerEvent) }[1]
            row = Row(
                name: name,
                nsPerEvent: row.nsPerEvent,
                deliveries: deliveries,
                bytes: row.bytes,
                note: row.note,
                pairedFsyncNanoseconds: row.pairedFsyncNanoseconds,
                pairedGroupCommitNanoseconds: row.pairedGroupCommitNanoseconds,
                latency: row.latency,
                allocations: row.allocations,
                cpuNsPerEvent: row.cpuNsPerEvent
            )
            rows.append(row)
        }
        rows.sort { first, second in
            (selected.firstIndex { $0.name == first.name } ?? 0) < (selected.firstIndex { $0.name == second.name } ?? 0)
        }
        if json {
            print(renderJSON(rows))
        } else if countAllocations {
            print(renderAllocations(rows))
        } else {
            print(renderTable(rows))
            print("")
            print(renderGoals(rows))
        }
    }

    /// Whether `--filter TEXT` selects the row `name`: every row without a filter, the rows whose
    /// name contains TEXT, or, when TEXT ends in `$`, the row named exactly TEXT without it.
    /// TEXT may list several of these, separated by commas: a row is selected when one selects it.
    static func selects(_ filter: String?, _ name: String) -> Bool {
        guard let filter else { return true }
        return filter.split(separator: ",").contains { item in
            item.hasSuffix("$") ? name == item.dropLast() : name.contains(item)
        }
    }

    /// Whether a row runs in this process alone (no disk, no server): the rows `--allocations` counts.
    static func isInProcess(_ name: String) -> Bool {
        !["durable-", "raw-", "pg-", "bytes-per-queued-event", "soak"].contains { name.hasPrefix($0) }
    }

    // MARK: Output

    /// The allocation counts as a table.
    static func renderAllocations(_ rows: [Row]) -> String {
        var table: [[String]] = [["row", "allocations/event", "bytes allocated/event", "notes"]]
        for row in rows {
            table.append([
                row.name,
                row.allocations.map { String(format: "%.2f", $0.perEvent) } ?? "-",
                row.allocations.map { String(format: "%.0f", $0.bytesPerEvent) } ?? "-",
                row.deliveries > 1 ? "each event makes \(row.deliveries) deliveries" : "",
            ])
        }
        return TextTable.render(table)
    }

    /// The results as an aligned table, with each row's ratio to `baseline-actor-hop`.
    static func renderTable(_ rows: [Row]) -> String {
        let hop = rows.first { $0.name == "baseline-actor-hop" }?.nsPerEvent
        var table: [[String]] = [["row", "ns/event", "events/s", "× actor hop", "CPU ns/event", "notes"]]
        for row in rows {
            var notes: [String] = []
            if row.deliveries > 1 { notes.append("each event makes \(row.deliveries) deliveries") }
            if let bytes = row.bytes { notes.append("\(Int(bytes)) bytes") }
            if !row.note.isEmpty { notes.append(row.note) }
            table.append([
                row.name, String(format: "%.1f", row.nsPerEvent), String(format: "%.0f", row.eventsPerSecond),
                hop.map { String(format: "%.2f", row.nsPerEvent / $0) } ?? "-",
                row.cpuNsPerEvent.map { String(format: "%.1f", $0) } ?? "-", notes.joined(separator: "; "),
            ])
        }
        return TextTable.render(table)
    }

    /// The goals, each checked against ratios from this run, and where each limit sits against
    /// its floor row.
    static func renderGoals(_ rows: [Row]) -> String {
        func ns(_ name: String) -> Double? { rows.first { $0.name == name }?.nsPerEvent }
        func bytes(_ name: String) -> Double? { rows.first { $0.name == name }?.bytes }
        var lines = ["goals (ratios from this run):"]
        func goal(_ text: String, _ value: Double?, _ limit: Double?, atMost: Bool = true) {
            guard let value, let limit else { return }
            let met = atMost ? value <= limit : value >= limit
            lines.append(
                String(format: "  %@ %@: %.2f vs %.2f", met ? "✓" : "✗", text, value, limit)
            )
        }
        // Issue 30's targets: ratios within this run.
        if let hop = ns("baseline-actor-hop") {
            goal("observer-1 ≤ 5 × actor hop (ns)", ns("observer-1"), 5 * hop)
            goal("observer-10 ≤ 20 × actor hop (ns)", ns("observer-10"), 20 * hop)
            goal("callback-1 ≤ 12 × actor hop (ns)", ns("callback-1"), 12 * hop)
            goal("mailbox-1 ≤ 12 × actor hop (ns)", ns("mailbox-1"), 12 * hop)
            goal("mailbox-10 ≤ 40 × actor hop (ns)", ns("mailbox-10"), 40 * hop)
        }
        if let combine10 = ns("baseline-opencombine-10") {
            goal("observer-10 below opencombine-10 (ns)", ns("observer-10"), combine10)
        }
        if let combine = ns("baseline-opencombine") {
            goal("callback-inline-1 ≤ 1.5 × opencombine (ns)", ns("callback-inline-1"), 1.5 * combine)
        }
        if let stream = ns("baseline-asyncstream") {
            goal("mailbox-1 ≥ 3 × faster than asyncstream (ns)", ns("mailbox-1"), stream / 3)
        }
        for strategy in ["observer", "callback", "mailbox"] {
            if let single = ns("\(strategy)-1") {
                goal(
                    "batch-\(strategy)-1 ≤ 0.5 × \(strategy)-1 (ns per event)",
                    ns("batch-\(strategy)-1"),
                    0.5 * single
                )
            }
        }
        if let stream = rows.first(where: { $0.name == "latency-asyncstream" })?.latency {
            for target in ["mailbox", "callback"] {
                guard let latency = rows.first(where: { $0.name == "latency-\(target)" })?.latency else { continue }
                goal("latency-\(target) p50 ≤ asyncstream's (ns)", latency.p50, stream.p50)
                goal("latency-\(target) p99 ≤ asyncstream's (ns)", latency.p99, stream.p99)
            }
        }
        if let observer = ns("observer-1") {
            goal("publish-10000-types within 20% of observer-1 (ns)", ns("publish-10000-types"), observer * 1.2)
        }
        // Against the raw group commits measured between the row's own rounds (the same disk
        // moments), or else against the raw-append-batched row.
        if let raw = rows.first(where: { $0.name == "durable-batched" })?.pairedGroupCommitNanoseconds
            ?? ns("raw-append-batched")
        {
            goal(
                "durable-batched ≥ 40% of raw-append-batched (records/s)",
                ns("durable-batched").map { 1e9 / $0 },
                0.4 * 1e9 / raw,
                atMost: false
            )
        }
        // Against the raw fsyncs measured between the row's own rounds (the same disk moments),
        // or else against the raw-fsync row.
        func rawFsync(pairedWith name: String) -> Double? {
            rows.first { $0.name == name }?.pairedFsyncNanoseconds ?? ns("raw-fsync")
        }
        if let raw = rawFsync(pairedWith: "durable-always") {
            goal(
                "durable-always ≥ 90% of raw-fsync (records/s)",
                ns("durable-always").map { 1e9 / $0 },
                0.9 * 1e9 / raw,
                atMost: false
            )
        }
        if let raw = rawFsync(pairedWith: "durable-always-8") {
            goal(
                "durable-always-8 ≥ 4 × raw-fsync (records/s)",
                ns("durable-always-8").map { 1e9 / $0 },
                4 * 1e9 / raw,
                atMost: false
            )
        }
        goal(
            "bytes-per-queued-event ≤ 96 + event size (bytes)",
            bytes("bytes-per-queued-event"),
            96 + Double(MemoryLayout<BenchEvent>.size)
        )
        goal(
            "soak RSS growth ≤ capacity × event size + 16 MiB (bytes)",
            bytes("soak"),
            Double(10_000 * MemoryLayout<Envelope<BenchEvent>>.stride + 16 << 20)
        )
        // Consumer groups against the same claim and acknowledgement as raw SQL on the same server.
        func rate(_ name: String) -> Double? { ns(name).map { 1e9 / $0 } }
        for (bus, raw) in [
            ("pg-group-1-instance", "pg-raw-claim-ack-1"), ("pg-group-4-instances", "pg-raw-claim-ack-4"),
        ] {
            if let floor = rate(raw) {
                goal("\(bus) ≥ 70% of \(raw) (events/s)", rate(bus), 0.7 * floor, atMost: false)
            }
        }
        // Issue 29: settled in batches, against the batch-ack floor and one statement per event.
        if let floor = rate("pg-raw-claim-batch-ack-4") {
            goal(
                "pg-group-4-instances ≥ 70% of pg-raw-claim-batch-ack-4 (events/s)",
                rate("pg-group-4-instances"),
                0.7 * floor,
                atMost: false
            )
        }
        if let before = rate("pg-group-4-instances-settle-1") {
            goal(
                "pg-group-4-instances ≥ 3 × pg-group-4-instances-settle-1 (events/s)",
                rate("pg-group-4-instances"),
                3 * before,
                atMost: false
            )
        }
        goal("pg-publish-batched ≥ 10,000 events/s", rate("pg-publish-batched"), 10_000, atMost: false)
        if let hop = ns("baseline-actor-hop") {
            lines.append("floors (the least the row's work costs, from the floor-* rows of this run):")
            func floor(_ row: String, limit: Double, under floorRow: String, perDelivery: Double = 1) {
                guard let floor = ns(floorRow).map({ $0 / perDelivery }) else { return }
                let verdict = floor > limit ? "below the floor" : "at or above the floor"
                lines.append(String(format: "  %@: limit %.2f, %@ %.2f: %@", row, limit, floorRow, floor, verdict))
            }
            floor("observer-1", limit: 5 * hop, under: "floor-observer-1")
            floor("observer-10", limit: 20 * hop, under: "floor-observer-10")
            floor("mailbox-1", limit: 12 * hop, under: "floor-mailbox-1")
            floor("mailbox-10", limit: 40 * hop, under: "floor-mailbox-10")
        }
        let ratios = [
            ("pg-publish-batched", "pg-raw-insert-batched"),
            ("pg-group-1-instance", "pg-raw-claim-ack-1"), ("pg-group-1-instance", "pg-raw-claim-batch-ack-1"),
            ("pg-group-4-instances", "pg-raw-claim-ack-4"), ("pg-group-4-instances", "pg-raw-claim-batch-ack-4"),
            ("pg-group-1-instance", "pg-group-1-instance-settle-1"),
            ("pg-group-4-instances", "pg-group-4-instances-settle-1"),
        ].compactMap { bus, raw -> String? in
            guard let busRate = rate(bus), let rawRate = rate(raw) else { return nil }
            return String(
                format: "  %@: %.0f/s = %.0f%% of %@ (%.0f/s)",
                bus,
                busRate,
                100 * busRate / rawRate,
                raw,
                rawRate
            )
        }
        if !ratios.isEmpty {
            lines.append("PostgreSQL consumer groups against raw SQL on the same server (events/s):")
            lines += ratios
        }
        return lines.joined(separator: "\n")
    }

    /// The results and a description of the machine, as JSON.
    static func renderJSON(_ rows: [Row]) -> String {
        var machine: [String: Any] = [
            "cores": ProcessInfo.processInfo.activeProcessorCount,
            "memoryBytes": ProcessInfo.processInfo.physicalMemory,
            "os": ProcessInfo.processInfo.operatingSystemVersionString,
        ]
        #if swift(>=6.3)
            machine["swift"] = "6.3+"
        #endif
        let results: [[String: Any]] = rows.map { row in
            var entry: [String: Any] = [
                "name": row.name, "nsPerEvent": row.nsPerEvent, "eventsPerSecond": row.eventsPerSecond,
                "deliveriesPerEvent": row.deliveries,
            ]
            if let bytes = row.bytes { entry["bytes"] = bytes }
            if let paired = row.pairedFsyncNanoseconds { entry["pairedRawFsyncNsPerEvent"] = paired }
            if let paired = row.pairedGroupCommitNanoseconds { entry["pairedRawGroupCommitNsPerEvent"] = paired }
            if let latency = row.latency {
                entry["p50Ns"] = latency.p50
                entry["p99Ns"] = latency.p99
                if let p999 = latency.p999 { entry["p999Ns"] = p999 }
                // The names the pg-latency row used before the in-process latency rows.
                entry["latencyP50Ns"] = latency.p50
                entry["latencyP99Ns"] = latency.p99
            }
            if let cpu = row.cpuNsPerEvent { entry["cpuNsPerEvent"] = cpu }
            if let allocations = row.allocations {
                entry["allocationsPerEvent"] = allocations.perEvent
                entry["allocatedBytesPerEvent"] = allocations.bytesPerEvent
            }
            if !row.note.isEmpty { entry["note"] = row.note }
            return entry
        }
        let object: [String: Any] = ["machine": machine, "results": results]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Why the bench cannot run as asked.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
