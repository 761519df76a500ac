/// Why a durable mailbox (a ``FileLog``) refused an operation.
public enum FileLogError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// The disk is full (ENOSPC); nothing was acknowledged.
    case diskFull(path: String)
    /// A write or fsync failed earlier; the mailbox accepts nothing until it is reopened.
    case poisoned(String)
    /// Another process has the mailbox open.
    case locked(path: String)
    /// The mailbox directory is writable by group or others (or is not a directory).
    case insecureDirectory(path: String, mode: UInt32)
    /// The mailbox name is not `[A-Za-z0-9._-]{1,128}` or contains `..`.
    case invalidName(String)
    /// A record is larger than the configured maximum.
    case recordTooLarge(size: Int, limit: Int)
    /// The mailbox was closed.
    case closed

    /// A sentence for people.
    public var description: String {
        switch self {
        case .io(let operation, let path, let errno):
            "\(operation) failed on \(path): \(errnoDescription(errno))"
        case .diskFull(let path): "disk full while writing \(path); the event was not accepted"
        case .poisoned(let reason):
            "the mailbox stopped accepting writes after an I/O failure (\(reason)); reopen it to recover"
        case .locked(let path): "mailbox \(path) is open in another process"
        case .insecureDirectory(let path, let mode):
            "refusing \(path): mode \(String(mode & 0o777, radix: 8)) lets group or others write (want 0700)"
        case .invalidName(let name): "invalid mailbox name \"\(name)\": use 1 to 128 of A-Z a-z 0-9 . _ - and no \"..\""
        case .recordTooLarge(let size, let limit): "record of \(size) bytes exceeds the limit of \(limit) bytes"
        case .closed: "the mailbox is closed"
        }
    }

    /// Checks a mailbox name: `[A-Za-z0-9._-]{1,128}`, no `..`.
    public static func validate(name: String) throws(FileLogError) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard allowed, (1...128).contains(name.utf8.count), !name.contains("..") else {
            throw .invalidName(name)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

private func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text) + " (errno \(code))"
}
