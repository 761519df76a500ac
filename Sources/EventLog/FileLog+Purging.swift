import Glibc

extension FileLog {
    /// Records that these events (pending or dead letters) were deleted: an acknowledgement each,
    /// written and synced (under the sync policy) before it returns.
    package func purge(_ ids: [EventID]) async throws {
        guard !ids.isEmpty else { return }
        let bytes = ids.count * LogFormat.ackRecordSize
        try await write(durable: true, records: ids.count, bytes: bytes, settling: ids.count) { state in
            for id in ids {
                if let segment = state.segmentOf.remove(id) {
                    state.live[segment, default: 1] -= 1
                }
                LogRecord.ack(id: id).encode(into: &state.buffer)
            }
        }
    }
}

extension FileLog<[UInt8]> {
    /// Deletes the pending events and dead letters of the mailbox `name` under `directory`, which
    /// no process has open (it is opened, recovered, purged and closed; its files stay). A
    /// missing mailbox has nothing to purge.
    /// - Returns: how many pending events and dead letters were deleted.
    /// - Throws: ``StoreFailure/locked(path:)`` when a process has it open; the I/O error.
    package static func purgeMailbox(
        directory: String,
        name: String,
        options: DurableMailboxOptions = DurableMailboxOptions(),
        fileSystem: any FileSystem
    ) async throws -> (pending: Int, deadLetters: Int) {
        try StoreFailure.validate(name: name)
        let root = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        guard try fileSystem.directoryMode(root + "/" + name) != nil else { return (0, 0) }
        let log = try FileLog(
            directory: directory,
            name: name,
            sync: .always,
            codec: RawRecordCodec(),
            options: options,
            fileSystem: fileSystem
        )
        defer { log.close() }
        let recovered = try log.recover()
        try await log.purge(recovered.pending.map(\.id) + recovered.deadLetters.map(\.event.id))
        return (recovered.pending.count, recovered.deadLetters.count)
    }

    /// Whether a process has the mailbox `name` under `directory` open (holds its lock), asked
    /// without waiting and without creating anything. False for a missing mailbox.
    package static func isHeld(directory: String, name: String) -> Bool {
        let fd = open(directory + "/" + name + "/LOCK", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        // A shared lock conflicts with the owner's exclusive one; ours is released at once.
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(fd, LOCK_UN)
        return false
    }
}
