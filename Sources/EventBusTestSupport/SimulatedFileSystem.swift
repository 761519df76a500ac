import EventLog
import EventQueue

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
            // In path order: a dictionary's order changes from run to run, and a seed must not.
            for path in state.files.keys.sorted() {
                guard let file = state.files[path] else { continue }
                let survivor = Self.survivor(of: file, random: &random)
                state.files[path] = File(data: survivor, synced: survivor)
            }
            // Unsynced directory entries may be lost; synced ones stay.
            var visible: [String: Set<String>] = [:]
            for path in state.files.keys { visible[parent(of: path), default: []].insert(path) }
            for (directory, entries) in visible.sorted(by: { $0.key < $1.key }) {
                let synced = state.syncedEntries[directory] ?? []
                for path in entries.sorted() where !synced.contains(path) && random.next() % 2 == 0 {
                    state.files[path] = nil
                }
            }
        }
    }

    /// What a power loss leaves of a file: every 512-byte sector whose content changed since
    /// the last fsync is kept, lost (the synced content, zeros past it) or torn (half new) —
    /// which also reorders writes — and a changed length may only partly reach the disk.
    private static func survivor(of file: File, random: inout SplitMix64) -> [UInt8] {
        let old = file.synced
        let new = file.data
        guard old != new else { return new }
        let span = max(old.count, new.count)
        func sector(_ bytes: [UInt8], _ range: Range<Int>) -> [UInt8] {
            let present = bytes[min(range.lowerBound, bytes.count)..<min(range.upperBound, bytes.count)]
            return Array(present) + [UInt8](repeating: 0, count: range.count - present.count)
        }
        var merged: [UInt8] = []
        merged.reserveCapacity(span)
        for start in stride(from: 0, to: span, by: 512) {
            let range = start..<min(start + 512, span)
            let before = sector(old, range)
            let after = sector(new, range)
            guard before != after else {
                merged += after
                continue
            }
            switch random.next() % 4 {
            case 0: merged += before
            case 1: merged += after.prefix(range.count / 2) + before.dropFirst(range.count / 2)
            default: merged += after
            }
        }
        let length: Int
        if new.count > old.count {
            let grown = Int(random.next() % UInt64(new.count - old.count + 1))
            let granularity = random.next() % 2 == 0 ? 512 : 4_096
            let rounded = random.next() % 3 == 0 ? grown : (grown / granularity + 1) * granularity
            length = old.count + min(new.count - old.count, rounded)
        } else if new.count < old.count {
            length = random.next() % 2 == 0 ? new.count : old.count
        } else {
            length = new.count
        }
        return Array(merged.prefix(length))
    }

    private func spend(_ operation: String, _ path: String) throws(StoreFailure) {
        let dead = state.withLock { state -> Bool in
            guard let budget = state.budget else { return false }
            if budget <= 0 { return true }
            state.budget = budget - 1
            return false
        }
        if dead { throw .io(operation: operation, path: path, errno: EIO) }
    }

    package func makeDirectory(_ path: String) throws(StoreFailure) {
        try spend("mkdir", path)
        state.withLock { _ = $0.directories.insert(path) }
    }

    package func directoryMode(_ path: String) throws(StoreFailure) -> UInt32? {
        state.withLock { $0.directories.contains(path) ? 0o040700 : nil }
    }

    package func list(_ directory: String) throws(StoreFailure) -> [String] {
        try spend("list", directory)
        return state.withLock { state in
            state.files.keys.filter { parent(of: $0) == directory }.map { String($0.dropFirst(directory.count + 1)) }
                .sorted()
        }
    }

    package func openForWriting(_ path: String, create: Bool) throws(StoreFailure) -> Int32 {
        try spend("open", path)
        return try state.withLock { state throws(StoreFailure) -> Int32 in
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

    package func readAll(_ path: String, limit: Int) throws(StoreFailure) -> [UInt8] {
        try spend("read", path)
        return try state.withLock { state throws(StoreFailure) -> [UInt8] in
            guard let file = state.files[path] else { throw .io(operation: "open", path: path, errno: ENOENT) }
            return file.data
        }
    }

    package func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(StoreFailure) {
        try spend("write", path)
        try state.withLock { state throws(StoreFailure) in
            guard let target = state.fds[fd], var file = state.files[target] else {
                throw .io(operation: "write", path: path, errno: EBADF)
            }
            if file.data.count < offset + bytes.count {
                file.data += [UInt8](repeating: 0, count: offset + bytes.count - file.data.count)
            }
            file.data.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
            state.files[target] = file
        }
    }

    package func sync(_ fd: Int32, path: String) throws(StoreFailure) {
        try spend("fdatasync", path)
        state.withLock { state in
            guard let target = state.fds[fd], let file = state.files[target] else { return }
            state.files[target]!.synced = file.data
        }
    }

    package func truncate(_ fd: Int32, to length: Int, path: String) throws(StoreFailure) {
        try spend("ftruncate", path)
        state.withLock { state in
            guard let target = state.fds[fd], let file = state.files[target] else { return }
            if length <= file.data.count {
                state.files[target]!.data = Array(file.data.prefix(length))
            } else {
                state.files[target]!.data += [UInt8](repeating: 0, count: length - file.data.count)
            }
        }
    }

    package func allocate(_ fd: Int32, to length: Int, path: String) throws(StoreFailure) {
        let current = try size(fd, path: path)
        guard length > current else { return }
        try truncate(fd, to: length, path: path)
    }

    package func size(_ fd: Int32, path: String) throws(StoreFailure) -> Int {
        state.withLock { state in state.fds[fd].flatMap { state.files[$0]?.data.count } ?? 0 }
    }

    package func close(_ fd: Int32) {
        state.withLock { state in
            if let path = state.fds.removeValue(forKey: fd), path.hasSuffix("/LOCK") { state.locks.remove(path) }
        }
    }

    package func remove(_ path: String) throws(StoreFailure) {
        try spend("unlink", path)
        state.withLock { state in
            state.files[path] = nil
            state.syncedEntries[parent(of: path)]?.remove(path)
        }
    }

    package func removeDirectory(_ path: String) throws(StoreFailure) {
        try spend("rmdir", path)
        _ = state.withLock { state in state.directories.remove(path) }
    }

    package func syncDirectory(_ path: String) throws(StoreFailure) {
        try spend("fsync", path)
        state.withLock { state in
            state.syncedEntries[path] = Set(state.files.keys.filter { parent(of: $0) == path })
        }
    }

    package func lockExclusive(_ path: String) throws(StoreFailure) -> Int32 {
        try spend("flock", path)
        return try state.withLock { state throws(StoreFailure) -> Int32 in
            guard !state.locks.contains(path) else { throw .locked(path: path) }
            state.locks.insert(path)
            if state.files[path] == nil { state.files[path] = File() }
            state.nextFD += 1
            state.fds[state.nextFD] = path
            return state.nextFD
        }
    }

    package func writeFile(_ path: String, _ bytes: [UInt8]) throws(StoreFailure) {
        try spend("write", path)
        state.withLock { $0.files[path] = File(data: bytes, synced: bytes) }
    }
}
