import Dispatch
import Synchronization

/// A ``QueueStorage`` on local disk: an append-only, checksummed log of every state change of
/// one mailbox, in one directory.
///
/// See Documentation/DurableMailboxes.md for the format, the sync policies and the guarantees.
package final class FileLog<Element: Sendable>: Sendable {
    /// `<directory>/<name>`.
    package let path: String
    /// The mailbox name.
    package let name: String
    /// The sync policy.
    package let sync: SyncPolicy
    /// The limits.
    package let options: DurableMailboxOptions
    let codec: any RecordCodec<Element>
    let fileSystem: any FileSystem
    let io: DispatchQueue
    /// Ends a flush's wait for the group the last fsync released (see `write`).
    let groupBack = DispatchSemaphore(value: 0)
    let state: Locked<LogWriterState>
    /// The last sequence number handed out: appends take theirs before they frame their records.
    let sequence = Atomic<UInt64>(0)
    /// Shared with other logs: how many callers may flush on their own thread at once.
    let inlineSyncs: InlineSyncLimit

    /// Opens (creating it if needed) the mailbox `name` under `directory` and takes its lock.
    ///
    /// - Parameter inlineSyncs: how many callers, across the logs sharing it, may write and fsync
    ///   on their own thread at once (see ``InlineSyncLimit``); one of its own by default.
    /// - Throws: ``StoreFailure``: an invalid name, a directory writable by group or others,
    ///   a mailbox locked by another process, or an I/O error.
    package convenience init(
        directory: String,
        name: String,
        sync: SyncPolicy,
        codec: any RecordCodec<Element>,
        options: DurableMailboxOptions = DurableMailboxOptions(),
        inlineSyncs: InlineSyncLimit = InlineSyncLimit()
    ) throws(StoreFailure) {
        try self.init(
            directory: directory,
            name: name,
            sync: sync,
            codec: codec,
            options: options,
            fileSystem: PosixFileSystem(),
            inlineSyncs: inlineSyncs
        )
    }

    package init(
        directory: String,
        name: String,
        sync: SyncPolicy,
        codec: any RecordCodec<Element>,
        options: DurableMailboxOptions,
        fileSystem: any FileSystem,
        inlineSyncs: InlineSyncLimit = InlineSyncLimit()
    ) throws(StoreFailure) {
        try StoreFailure.validate(name: name)
        let root = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        self.path = root + "/" + name
        self.name = name
        self.sync = sync
        self.options = options
        self.codec = codec
        self.fileSystem = fileSystem
        self.io = DispatchQueue(label: "eventbus.filelog.\(name)")
        self.state = Locked(LogWriterState())
        self.inlineSyncs = inlineSyncs
        try fileSystem.makeDirectory(root)
        // The store directory: where everybody may write, anybody could move the mailbox away
        // and put another in its place. Refused unless sticky (only an entry's owner may rename
        // or remove it, as in /tmp); a sticky one is used with a warning in the recovery report.
        // A symbolic link is followed by the system and not judged here.
        var warnings: [String] = []
        if let rootMode = try fileSystem.directoryMode(root), rootMode & 0o170000 == 0o040000, rootMode & 0o002 != 0 {
            guard rootMode & 0o1000 != 0 else { throw .insecureDirectory(path: root, mode: rootMode) }
            warnings.append(
                "the store directory \(root) is writable by everybody (mode \(String(rootMode & 0o7777, radix: 8)), sticky): "
                    + "other users can create names beside the mailbox; use a directory only this user can write"
            )
        }
        try fileSystem.makeDirectory(path)
        // lstat: a symbolic link in the mailbox's place is not a directory either.
        guard let mode = try fileSystem.directoryMode(path), mode & 0o170000 == 0o040000 else {
            throw .notADirectory(path: path)
        }
        guard mode & 0o022 == 0 else { throw .insecureDirectory(path: path, mode: mode) }
        let lock = try fileSystem.lockExclusive(path + "/LOCK")
        state.withLock { state in
            state.lockFD = lock
            state.report.warnings = warnings
        }
    }

    deinit {
        let (fd, lock) = state.withLock { ($0.fd, $0.lockFD) }
        if fd >= 0 { fileSystem.close(fd) }
        if lock >= 0 { fileSystem.close(lock) }
    }

    /// What the last ``recover()`` found and repaired.
    package var recoveryReport: RecoveryReport? { state.withLock { $0.report } }

    /// Deletes the mailbox `name` under `directory`: its segments, its quarantined ranges, its
    /// lock file and its directory — nothing else (a file it does not know is left, and so is
    /// the directory then). A missing mailbox is not an error.
    /// - Throws: ``StoreFailure/locked(path:)`` when a process has it open; the I/O error.
    package static func removeMailbox(directory: String, name: String, fileSystem: any FileSystem) throws(StoreFailure)
    {
        try StoreFailure.validate(name: name)
        let root = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        let path = root + "/" + name
        guard let mode = try fileSystem.directoryMode(path) else { return }
        guard mode & 0o170000 == 0o040000 else { throw .notADirectory(path: path) }
        let lock = try fileSystem.lockExclusive(path + "/LOCK")
        defer { fileSystem.close(lock) }
        let quarantine = path + "/quarantine"
        if try fileSystem.directoryMode(quarantine) != nil {
            for file in try fileSystem.list(quarantine) where file.hasSuffix(".bin") {
                try fileSystem.remove(quarantine + "/" + file)
            }
            try fileSystem.removeDirectory(quarantine)
        }
        var unknown = false
        for file in try fileSystem.list(path) where file != "LOCK" && file != "quarantine" {
            if LogFormat.segmentIndex(file) != nil {
                try fileSystem.remove(path + "/" + file)
            } else {
                unknown = true
            }
        }
        try fileSystem.remove(path + "/LOCK")
        if !unknown { try fileSystem.removeDirectory(path) }
        try fileSystem.syncDirectory(root)
    }

    /// Records that the deliveries of these events were given back unfinished (a clean stop),
    /// then closes as ``close()``.
    package func close(releasing inFlight: [EventID]) {
        if !inFlight.isEmpty {
            state.withLock { state in
                guard state.refusal == nil else { return }
                // Within the room reserved for these events' acknowledgements.
                for id in inFlight { LogRecord.release(id: id).encode(into: &state.buffer) }
                state.needsSync = sync != .none
            }
        }
        close()
    }

    /// Writes everything buffered, fsyncs, and releases the file and the lock. Later writes fail
    /// with ``StoreFailure/closed``.
    package func close() {
        _ = io.sync { flush() }
        state.withLock { state in
            state.closed = true
            if state.fd >= 0 {
                try? fileSystem.truncate(state.fd, to: state.segmentBytes, path: state.segmentPath)
                try? fileSystem.sync(state.fd, path: state.segmentPath)
                fileSystem.close(state.fd)
                state.fd = -1
            }
            if state.lockFD >= 0 {
                fileSystem.close(state.lockFD)
                state.lockFD = -1
            }
        }
    }
}
