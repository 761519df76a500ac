import EventLog
import EventQueue
import Foundation

/// The built-in store: one append-only log per mailbox under a directory (``FileLog``).
struct FileStore: MailboxStore {
    let directory: String
    let sync: SyncPolicy

    var identity: String { "directory \(directory) (sync \(sync))" }

    func storage<E: Event>(
        forMailbox name: String,
        of type: E.Type,
        codec: any EventCodec<E>,
        context: StoreContext
    ) throws -> any QueueStorage<Envelope<E>> {
        try FileLog(
            directory: directory,
            name: name,
            sync: sync,
            codec: EnvelopeCodec(codec: codec),
            options: context.options,
            fileSystem: context.fileSystem,
            inlineSyncs: context.inlineSyncs
        )
    }

    func removeMailbox(named name: String, context: StoreContext) throws {
        try FileLog<[UInt8]>.removeMailbox(directory: directory, name: name, fileSystem: context.fileSystem)
    }

    /// Read with the inspector: no lock is taken, so it works while a process has the mailbox
    /// open (what that process has not written yet is not seen).
    func deadLetters(ofMailbox name: String, limit: Int?, context: StoreContext) async throws -> [StoredDeadLetter] {
        try StoreFailure.validate(name: name)
        let inspector = LogInspector(fileSystem: context.fileSystem, maxRecordSize: context.options.maxRecordSize)
        let report = try inspector.inspect(directory + "/" + name, name: name)
        let opened = Date()
        let letters = report.dead.map { state in
            StoredDeadLetter(
                id: state.id,
                mailbox: name,
                envelope: state.body,
                priority: state.priority,
                reason: DeadLetterReason(storedText: state.deadReason ?? ""),
                attempts: Int(state.attempts),
                crashes: Int(state.crashes),
                deadLetteredAt: state.deadAt.map {
                    Date(timeIntervalSince1970: Double($0.nanosecondsSinceEpoch) / 1e9)
                } ?? opened
            )
        }
        return limit.map { Array(letters.prefix(max(0, $0))) } ?? letters
    }

    /// Opens the mailbox (its lock: refused while another process has it open), writes the
    /// requeue records, and closes it: whoever opens it next delivers them, or dead-letters
    /// again what it still cannot read.
    func requeueDeadLetters(ofMailbox name: String, ids: Set<EventID>?, context: StoreContext) async throws -> Int {
        try StoreFailure.validate(name: name)
        // An existing mailbox only: opening one makes its directory.
        _ = try context.fileSystem.list(directory + "/" + name)
        let log = try FileLog(
            directory: directory,
            name: name,
            sync: sync,
            codec: RawRecordCodec(),
            options: context.options,
            fileSystem: context.fileSystem,
            inlineSyncs: context.inlineSyncs
        )
        defer { log.close() }
        let recovered = try log.recover()
        let requeued = recovered.deadLetters.map(\.event.id).filter { ids?.contains($0) ?? true }
        if !requeued.isEmpty { try await log.requeue(requeued) }
        return requeued.count
    }

    func purgeMailbox(named name: String, context: StoreContext) async throws -> PurgeReport {
        let deleted = try await FileLog<[UInt8]>.purgeMailbox(
            directory: directory,
            name: name,
            options: context.options,
            fileSystem: context.fileSystem
        )
        return PurgeReport(pending: deleted.pending, deadLetters: deleted.deadLetters)
    }
}
