#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An in-memory file system that can simulate a power loss.
///
/// It remembers, for every file, the bytes that were fsynced and the writes since, and for every
/// directory the entries that were fsynced. ``powerLoss(seed:)`` then decides, seeded, what
/// survives of everything not yet synced: each 512-byte sector of unsynced data is kept, lost
/// (zeroed) or torn independently — which also reorders writes — the file length may or may not
/// have been updated, and unsynced directory entries (new or removed files) may be lost.
/// ``failAfter(operations:)`` makes every call fail once a budget of operations is spent: the
/// moment the power went out.
package final class SimulatedFileSystem: FileSystem {
    struct File {
        var data: [UInt8] = []
        var synced: [UInt8] = []
    }

    struct State {
        var files: [String: File] = [:]
        var directories: Set<String> = ["/"]
        /// Entries as they are after the last fsync of their directory.
        var syncedEntries: [String: Set<String>] = [:]
        var fds: [Int32: String] = [:]
        var nextFD: Int32 = 100
        var locks: Set<String> = []
        var budget: Int?
    }

    private let state = Locked(State())

    package init() {}

    /// Every file with its size and synced size (for diagnosing a failed experiment).
    package var snapshot: [(path: String, size: Int, synced: Int, head: [UInt8])] {
        state.withLock { state in
            state.files.sorted { $0.key < $1.key }.map {
                ($0.key, $0.value.data.count, $0.value.synced.count, Array($0.value.data.prefix(8)))
            }
        }
    }

    /// The power goes out after `operations` more calls: every later call throws EIO.
    package func failAfter(operations: Int?) {
        state.withLock { $0.budget = operations }
    }

    /// Applies a power loss to everything not yet fsynced, then lets calls succeed again.
    package func powerLoss(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        state.withLock { state in
            state.budget = nil
            state.fds.removeAll()
            state.locks.removeAll()
            for (path, file) in state.files {
                var survivor = file.synced
                if file.data.count > file.synced.count && file.data.starts(with: file.synced) {
                    // Appended, unsynced bytes: per 512-byte sector kept, zeroed or torn; the
                    // length itself may only partly reach the disk.
                    let extra = Array(file.data[file.synced.count...])
                    var kept: [UInt8] = []
                    var offset = 0
                    while offset < extra.count {
                        let end = min(offset + 512, extra.count)
                        switch random.next() % 4 {
                        case 0: kept += [UInt8](repeating: 0, count: end - offset)
                        case 1:
                            kept +=
                                extra[offset..<(offset + (end - offset) / 2)]
                                + [UInt8](repeating: 0, count: end - offset - (end - offset) / 2)
                        default: kept += extra[offset..<end]
                        }
                        offset = end
                    }
                    let length = Int(random.next() % UInt64(kept.count + 1))
                    let granularity = random.next() % 2 == 0 ? 512 : 4_096
                    let rounded =
                        random.next() % 3 == 0 ? length : min(kept.count, (length / granularity + 1) * granularity)
                    survivor += kept.prefix(rounded)
                } else if random.next() % 2 == 0 {
                    survivor = file.data  // a truncate or rewrite that happened to land
                }
                state.files[path] = File(data: survivor, synced: survivor)
            }
            // Unsynced directory entries may be lost; synced ones stay.
            var visible: [String: Set<String>] = [:]
            for path in state.files.keys { visible[parent(of: path), default: []].insert(path) }
            for (directory, entries) in visible {
                let synced = state.syncedEntries[directory] ?? []
                for path in entries where !synced.contains(path) && random.next() % 2 == 0 {
                    state.files[path] = nil
                }
            }
        }
    }

    private func spend(_ operation: String, _ path: String) throws(FileLogError) {
        let dead = state.withLock { state -> Bool in
            guard let budget = state.budget else { return false }
            if budget <= 0 { return true }
            state.budget = budget - 1
            return false
        }
        if dead { throw .io(operation: operation, path: path, errno: EIO) }
    }

    package func makeDirectory(_ path: String) throws(FileLogError) {
        try spend("mkdir", path)
        state.withLock { _ = $0.directories.insert(path) }
    }

    package func directoryMode(_ path: String) throws(FileLogError) -> UInt32? {
        state.withLock { $0.directories.contains(path) ? 0o040700 : nil }
    }

    package func list(_ directory: String) throws(FileLogError) -> [String] {
        try spend("list", directory)
        return state.withLock { state in
            state.files.keys.filter { parent(of: $0) == directory }.map { String($0.dropFirst(directory.count + 1)) }
                .sorted()
        }
    }

    package func openForAppend(_ path: String, create: Bool) throws(FileLogError) -> Int32 {
        try spend("open", path)
        return try state.withLock { state throws(FileLogError) -> Int32 in
            if state.files[path] == nil {
                guard create else { throw .io(operation: "open", path: path, errno: ENOENT) }
                state.files[path] = File()
            } else if create {
                throw .io(operation: "open", path: path, errno: EEXIST)
            }
            state.nextFD += 1
            state.fds[state.nextFD] = path
            return state.nextFD
        }
    }

    package func readAll(_ path: String, limit: Int) throws(FileLogError) -> [UInt8] {
        try spend("read", path)
        return try state.withLock { state throws(FileLogError) -> [UInt8] in
            guard let file = state.files[path] else { throw .io(operation: "open", path: path, errno: ENOENT) }
            return file.data
        }
    }

    package func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileLogError) {
        try spend("write", path)
        try state.withLock { state throws(FileLogError) in
            guard let target = state.fds[fd], state.files[target] != nil else {
                throw .io(operation: "write", path: path, errno: EBADF)
            }
            state.files[target]!.data += bytes
        }
    }

    package func sync(_ fd: Int32, path: String) throws(FileLogError) {
        try spend("fdatasync", path)
        state.withLock { state in
            guard let target = state.fds[fd], let file = state.files[target] else { return }
            state.files[target]!.synced = file.data
        }
    }

    package func truncate(_ fd: Int32, to length: Int, path: String) throws(FileLogError) {
        try spend("ftruncate", path)
        state.withLock { state in
            guard let target = state.fds[fd], let file = state.files[target] else { return }
            state.files[target]!.data = Array(file.data.prefix(length))
        }
    }

    package func size(_ fd: Int32, path: String) throws(FileLogError) -> Int {
        state.withLock { state in state.fds[fd].flatMap { state.files[$0]?.data.count } ?? 0 }
    }

    package func close(_ fd: Int32) {
        state.withLock { state in
            if let path = state.fds.removeValue(forKey: fd), path.hasSuffix("/LOCK") { state.locks.remove(path) }
        }
    }

    package func remove(_ path: String) throws(FileLogError) {
        try spend("unlink", path)
        state.withLock { state in
            state.files[path] = nil
            state.syncedEntries[parent(of: path)]?.remove(path)
        }
    }

    package func syncDirectory(_ path: String) throws(FileLogError) {
        try spend("fsync", path)
        state.withLock { state in
            state.syncedEntries[path] = Set(state.files.keys.filter { parent(of: $0) == path })
        }
    }

    package func lockExclusive(_ path: String) throws(FileLogError) -> Int32 {
        try spend("flock", path)
        return try state.withLock { state throws(FileLogError) -> Int32 in
            guard !state.locks.contains(path) else { throw .locked(path: path) }
            state.locks.insert(path)
            if state.files[path] == nil { state.files[path] = File() }
            state.nextFD += 1
            state.fds[state.nextFD] = path
            return state.nextFD
        }
    }

    package func writeFile(_ path: String, _ bytes: [UInt8]) throws(FileLogError) {
        try spend("write", path)
        state.withLock { $0.files[path] = File(data: bytes, synced: bytes) }
    }
}
