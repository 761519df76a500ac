import EventBus
import EventBusDashboard
import EventLog
import Foundation

#if PostgresSupport
    import EventBusPostgres
#endif

/// What `eventbus dashboard` shows: the durable mailboxes under its directories, read from their
/// files (and, with `--postgres`, a schema's consumer groups), and the actions of the CLI's own
/// verbs (``MailboxTools``, ``PostgresTools``). A mailbox a running process holds is read-only:
/// only that process may change it.
struct StoredDashboardSource: DashboardSource {
    /// The directories of durable mailboxes.
    let directories: [String]
    #if PostgresSupport
        /// The consumer groups of one schema, when `--postgres` was given.
        let groups: PostgresGroups?

        init(directories: [String], groups: PostgresGroups? = nil) {
            self.directories = directories
            self.groups = groups
        }
    #else
        init(directories: [String]) {
            self.directories = directories
        }
    #endif

    var kind: DashboardSourceKind { .stored }

    var notice: String? {
        "Read from storage by eventbus dashboard: depth, dead letters and recovery. The live rates, latencies, "
            + "forecasts and charts come from the dashboard mounted in the application. A mailbox a running process "
            + "holds is read-only here."
    }

    /// A mailbox's name on the page: its own with one directory, `DIR/NAME` with several.
    func displayName(_ name: String, in directory: String) -> String {
        directories.count == 1 ? name : directory + "/" + name
    }

    /// The directory and mailbox a name on the page stands for; nil when it names none.
    func locate(_ displayed: String) -> (directory: String, name: String)? {
        if directories.count == 1 { return (directories[0], displayed) }
        guard let slash = displayed.lastIndex(of: "/") else { return nil }
        let directory = String(displayed[..<slash])
        guard directories.contains(directory) else { return nil }
        return (directory, String(displayed[displayed.index(after: slash)...]))
    }

    func mailboxes() async throws -> [MailboxSnapshot] {
        var result: [MailboxSnapshot] = []
        let inspector = LogInspector()
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        for directory in directories {
            for name in try inspector.mailboxes(in: directory) {
                let report = try inspector.inspect(directory + "/" + name, name: name)
                let held = FileLog<[UInt8]>.isHeld(directory: directory, name: name)
                let delayed = report.pending.count { state in
                    !state.isInFlight && (state.progress.notBefore.map { $0 > now } ?? false)
                }
                var mailbox = MailboxSnapshot(
                    name: displayName(name, in: directory),
                    kind: .durable,
                    depth: report.pending.count - report.inFlight - delayed,
                    inFlight: report.inFlight,
                    delayed: delayed,
                    deadLetters: report.dead.count,
                    actions: held ? [] : [.requeue, .purge, .remove]
                )
                mailbox.note =
                    held
                    ? "held by a running process: read-only here (in flight counts its deliveries in progress)" : nil
                var recovery = RecoverySnapshot()
                recovery.records = report.records
                recovery.segments = report.segments.count
                recovery.pending = report.pending.count
                recovery.deadLetters = report.dead.count
                recovery.interrupted = held ? 0 : report.pending.count { $0.crashes > 0 || $0.isInFlight }
                recovery.quarantinedRanges = report.corruptRanges.count + report.badHeaders.count
                // A process writing the mailbox may leave a record half written for a moment.
                recovery.truncatedBytes = held ? 0 : report.tornBytes.map(\.bytes).reduce(0, +)
                if report.isCorrupt {
                    recovery.warnings.append(
                        "corrupt: \(report.corruptRanges.count) ranges, \(report.badHeaders.count) bad headers "
                            + "(quarantined when the mailbox next opens; eventbus verify lists them)"
                    )
                }
                mailbox.recovery = recovery
                result.append(mailbox)
            }
        }
        #if PostgresSupport
            if let groups {
                var seen: [String] = []
                for (group, _) in try await groups.declared() where !seen.contains(group) {
                    seen.append(group)
                    result.append(
                        MailboxSnapshot(
                            name: group,
                            // A stored point-to-point queue is a group named `queue:NAME`.
                            kind: group.hasPrefix("queue:") ? .queue : .group,
                            depth: try await groups.pending(group: group),
                            inFlight: 0,
                            delayed: 0,
                            deadLetters: try await groups.deadLetters(group: group).count,
                            actions: [.requeue, .purge, .remove]
                        )
                    )
                    result[result.count - 1].note = "pending counts visible, delayed and leased events together"
                }
            }
        #endif
        return result
    }

    func deadLetters(of mailbox: String, limit: Int, bodies: Bool) async throws -> [DeadLetterSnapshot] {
        if let (directory, name) = locate(mailbox), try LogInspector().mailboxes(in: directory).contains(name) {
            // The dead-letter API reads an undeclared local mailbox without its lock.
            return try await Bus().deadLetters(of: .durable(name: name, directory: directory), limit: limit).map {
                DeadLetterSnapshot($0, showingBody: bodies)
            }
        }
        #if PostgresSupport
            if let groups {
                return try await groups.storedDeadLetters(group: mailbox, limit: limit).map {
                    DeadLetterSnapshot($0, showingBody: bodies)
                }
            }
        #endif
        throw DashboardActionError.unknownMailbox(mailbox)
    }

    func perform(_ action: DashboardAction) async throws -> String {
        if let (directory, name) = locate(action.mailbox),
            try LogInspector().mailboxes(in: directory).contains(name)
        {
            guard !FileLog<[UInt8]>.isHeld(directory: directory, name: name) else {
                throw DashboardActionError.held(mailbox: action.mailbox)
            }
            switch action {
            case .requeue(let shown, let ids):
                let wanted = try DashboardAction.eventIDs(ids, of: shown)
                // The dead-letter API opens the mailbox (refused while a process holds it).
                let count = try await Bus().requeueDeadLetters(
                    of: .durable(name: name, directory: directory),
                    ids: wanted
                )
                return "requeued \(count) dead letter\(count == 1 ? "" : "s") of \(action.mailbox)"
            case .purge:
                let report = try await MailboxTools.purge(directory: directory, name: name)
                return "purged \(action.mailbox): deleted \(report)"
            case .remove:
                try MailboxTools.remove(directory: directory, name: name)
                return "removed \(action.mailbox) and its files"
            }
        }
        #if PostgresSupport
            if let groups, try await groups.declared().contains(where: { $0.group == action.mailbox }) {
                let group = action.mailbox
                switch action {
                case .requeue(_, let ids):
                    if let ids {
                        let dead = Set(try await groups.deadLetters(group: group).map(\.eventID))
                        let missing = ids.filter { !dead.contains($0) }.sorted()
                        guard missing.isEmpty else {
                            throw DashboardActionError.notDeadLetters(mailbox: group, ids: missing)
                        }
                    }
                    let count = try await groups.requeue(group: group, ids: ids.map { $0.sorted() })
                    return "requeued \(count) dead letter\(count == 1 ? "" : "s") of consumer group \(group)"
                case .purge:
                    let deleted = try await groups.purge(group: group)
                    return "purged consumer group \(group): deleted "
                        + "\(PurgeReport(pending: deleted.pending, deadLetters: deleted.deadLetters))"
                case .remove:
                    let deleted = try await groups.remove(group: group)
                    return "removed consumer group \(group): deleted "
                        + "\(PurgeReport(pending: deleted.pending, deadLetters: deleted.deadLetters))"
                }
            }
        #endif
        throw DashboardActionError.unknownMailbox(action.mailbox)
    }
}
