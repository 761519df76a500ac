#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file operations the durable log performs, as a seam: tests swap in implementations that
/// fail the Nth call or simulate a power loss.
package protocol FileSystem: Sendable {
    func makeDirectory(_ path: String) throws(StoreFailure)
    func directoryMode(_ path: String) throws(StoreFailure) -> UInt32?
    func list(_ directory: String) throws(StoreFailure) -> [String]
    /// Opens a file for positioned writes (no `O_APPEND`: the log writes at its own offset
    /// into space it has reserved ahead, see `FileLog`).
    func openForWriting(_ path: String, create: Bool) throws(StoreFailure) -> Int32
    func readAll(_ path: String, limit: Int) throws(StoreFailure) -> [UInt8]
    /// Writes all of `bytes` at `offset`.
    func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(StoreFailure)
    func sync(_ fd: Int32, path: String) throws(StoreFailure)
    func truncate(_ fd: Int32, to length: Int, path: String) throws(StoreFailure)
    /// Makes sure the disk blocks for the first `length` bytes of the file are allocated (the
    /// file grows to at least `length`, zero-filled), so that writes within them cannot fail
    /// for want of space. Throws ``StoreFailure/diskFull(path:)`` when the disk has no room.
    func allocate(_ fd: Int32, to length: Int, path: String) throws(StoreFailure)
    func size(_ fd: Int32, path: String) throws(StoreFailure) -> Int
    func close(_ fd: Int32)
    func remove(_ path: String) throws(StoreFailure)
    /// Removes an empty directory (a missing one is not an error).
    func removeDirectory(_ path: String) throws(StoreFailure)
    func syncDirectory(_ path: String) throws(StoreFailure)
    func lockExclusive(_ path: String) throws(StoreFailure) -> Int32
    func writeFile(_ path: String, _ bytes: [UInt8]) throws(StoreFailure)
}

/// The real file system: POSIX calls, `O_NOFOLLOW` everywhere, directories 0700, files 0600.
package struct PosixFileSystem: FileSystem {
    package init() {}

    package func makeDirectory(_ path: String) throws(StoreFailure) {
        if mkdir(path, 0o700) != 0 {
            let code = errno
            guard code == EEXIST else { throw .io(operation: "mkdir", path: path, errno: code) }
            return
        }
        _ = chmod(path, 0o700)
        try syncDirectory(parent(of: path))
    }

    package func directoryMode(_ path: String) throws(StoreFailure) -> UInt32? {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT { return nil }
            throw .io(operation: "lstat", path: path, errno: errno)
        }
        return UInt32(info.st_mode)
    }

    package func list(_ directory: String) throws(StoreFailure) -> [String] {
        guard let handle = opendir(directory) else { throw .io(operation: "opendir", path: directory, errno: errno) }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    package func openForWriting(_ path: String, create: Bool) throws(StoreFailure) -> Int32 {
        let flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT | O_EXCL : 0)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        return fd
    }

    package func readAll(_ path: String, limit: Int) throws(StoreFailure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { Glibc.close(fd) }
        let total = try size(fd, path: path)
        guard total <= limit else { throw .recordTooLarge(size: total, limit: limit) }
        var bytes = [UInt8](repeating: 0, count: total)
        var done = 0
        while done < total {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + done, total - done, off_t(done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errno: errno)
            }
            if count == 0 { break }
            done += count
        }
        return Array(bytes[0..<done])
    }

    package func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(StoreFailure) {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                pwrite(fd, buffer.baseAddress! + done, bytes.count - done, off_t(offset + done))
            }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == ENOSPC || code == EDQUOT { throw .diskFull(path: path) }
                throw .io(operation: "write", path: path, errno: code)
            }
            done += count
        }
    }

    package func sync(_ fd: Int32, path: String) throws(StoreFailure) {
        if fdatasync(fd) != 0 { throw .io(operation: "fdatasync", path: path, errno: errno) }
    }

    package func truncate(_ fd: Int32, to length: Int, path: String) throws(StoreFailure) {
        if ftruncate(fd, off_t(length)) != 0 {
            let code = errno
            if code == ENOSPC || code == EDQUOT { throw .diskFull(path: path) }
            throw .io(operation: "ftruncate", path: path, errno: code)
        }
    }

    package func allocate(_ fd: Int32, to length: Int, path: String) throws(StoreFailure) {
        let current = try size(fd, path: path)
        guard length > current else { return }
        // posix_fallocate returns the error instead of setting errno.
        var code: Int32
        repeat {
            code = posix_fallocate(fd, off_t(current), off_t(length - current))
        } while code == EINTR
        switch code {
        case 0: return
        case ENOSPC, EDQUOT: throw .diskFull(path: path)
        case EOPNOTSUPP, EINVAL:
            // A file system that cannot allocate ahead: grow the file (a hole), as before.
            try truncate(fd, to: length, path: path)
        default: throw .io(operation: "fallocate", path: path, errno: code)
        }
    }

    package func size(_ fd: Int32, path: String) throws(StoreFailure) -> Int {
        var info = stat()
        if fstat(fd, &info) != 0 { throw .io(operation: "fstat", path: path, errno: errno) }
        return Int(info.st_size)
    }

    package func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    package func remove(_ path: String) throws(StoreFailure) {
        if unlink(path) != 0 && errno != ENOENT { throw .io(operation: "unlink", path: path, errno: errno) }
    }

    package func removeDirectory(_ path: String) throws(StoreFailure) {
        if rmdir(path) != 0 && errno != ENOENT { throw .io(operation: "rmdir", path: path, errno: errno) }
    }

    package func syncDirectory(_ path: String) throws(StoreFailure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0 { throw .io(operation: "fsync", path: path, errno: errno) }
    }

    /// Takes the mailbox's lock. A lock that is taken is tried again for about 100 ms before
    /// it is reported as held: a child process that this process is starting holds a copy of
    /// every descriptor (close-on-exec ones included) until it runs `exec`, so a mailbox closed
    /// and reopened at that moment looks locked by "another process" for a few milliseconds.
    /// A real holder still holds it afterwards.
    package func lockExclusive(_ path: String) throws(StoreFailure) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        var attempts = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            attempts += 1
            if code == EWOULDBLOCK && attempts < 20 {
                usleep(5_000)
                continue
            }
            Glibc.close(fd)
            if code == EWOULDBLOCK { throw .locked(path: path) }
            throw .io(operation: "flock", path: path, errno: code)
        }
        return fd
    }

    package func writeFile(_ path: String, _ bytes: [UInt8]) throws(StoreFailure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        defer { Glibc.close(fd) }
        try write(fd, bytes, at: 0, path: path)
        try sync(fd, path: path)
    }
}

/// The directory part of a path.
package func parent(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let head = String(path[..<slash])
    return head.isEmpty ? "/" : head
}
