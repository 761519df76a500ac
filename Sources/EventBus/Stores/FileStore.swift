import EventLog
import EventQueue

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
