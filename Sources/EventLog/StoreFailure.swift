/// Why a durable store could not do what it was asked: open a mailbox, store an event, or
/// record a delivery's progress. Every storage failure the queue core and the bus report is
/// one of these, with the details a caller or an operator needs to act on it.
public indirect enum StoreFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// A system call failed with `errno` (`EIO` from a disk, `ELOOP` for a symbolic link in the
    /// mailbox, and so on).
    case io(operation: String, path: String, errno: Int32)
    /// The disk is full (`ENOSPC`): what was being written was not stored. The mailbox keeps
    /// working: consuming and acknowledging go on from space it reserved, and storing resumes
    /// by itself once space is free.
    case diskFull(path: String)
    /// The mailbox refuses writes since an earlier failure that leaves the disk's state in doubt
    /// (an `fsync` that failed, an I/O error while writing): reopen it (restart the process)
    /// once the cause is fixed. Nothing it acknowledged is lost.
    case refusingWrites(since: StoreFailure)
    /// Another process has the mailbox open.
    case locked(path: String)
    /// The mailbox directory is writable by group or others, or its store directory is writable
    /// by everybody without the sticky bit (anybody could put another mailbox in its place).
    case insecureDirectory(path: String, mode: UInt32)
    /// Something other than a directory stands where the mailbox directory should be.
    case notADirectory(path: String)
    /// The mailbox name is not `[A-Za-z0-9._-]{1,128}`, contains `..`, or is `.`.
    case invalidName(String)
    /// An event's record is larger than the configured maximum (`size` and `limit` in bytes).
    case recordTooLarge(size: Int, limit: Int)
    /// The event could not be encoded for the store (the codec's error).
    case unencodable(any Error)
    /// The mailbox was closed.
    case closed
    /// A failure of a store other than the built-in file log, as that store reported it.
    case other(any Error)

    /// A sentence for people.
    public var description: String {
        switch self {
        case .io(let operation, let path, let errno):
            "\(operation) failed on \(path): \(errnoDescription(errno))"
        case .diskFull(let path): "disk full while writing \(path); it was not stored"
        case .refusingWrites(let cause):
            "the mailbox refuses writes since an earlier failure (\(cause)); reopen it to recover"
        case .locked(let path): "mailbox \(path) is open in another process"
        case .insecureDirectory(let path, let mode):
            "refusing \(path): mode \(String(mode & 0o7777, radix: 8)) lets group or others write (want 0700; a store directory everybody may write must be sticky)"
        case .notADirectory(let path): "\(path) exists and is not a directory"
        case .invalidName(let name):
            "invalid mailbox name \"\(name)\": use 1 to 128 of A-Z a-z 0-9 . _ - and no \"..\" (and not \".\")"
        case .recordTooLarge(let size, let limit): "record of \(size) bytes exceeds the limit of \(limit) bytes"
        case .unencodable(let error): "the event could not be encoded: \(error)"
        case .closed: "the mailbox is closed"
        case .other(let error): "\(error)"
        }
    }

    /// The failure behind a refusal: for ``refusingWrites(since:)`` its cause, else itself.
    public var rootCause: StoreFailure {
        if case .refusingWrites(let cause) = self { return cause.rootCause }
        return self
    }

    /// A store's error as a failure: itself when it is one, ``other(_:)`` otherwise.
    public init(_ error: any Error) {
        self = error as? StoreFailure ?? .other(error)
    }

    /// Equal when the case and its values are; wrapped errors compare by their description.
    public static func == (lhs: StoreFailure, rhs: StoreFailure) -> Bool {
        switch (lhs, rhs) {
        case (.unencodable(let left), .unencodable(let right)), (.other(let left), .other(let right)):
            String(reflecting: type(of: left)) == String(reflecting: type(of: right))
                && String(describing: left) == String(describing: right)
        case (.unencodable, _), (.other, _), (_, .unencodable), (_, .other):
            false
        default:
            lhs.description == rhs.description && lhs.caseName == rhs.caseName
        }
    }

    /// Hashes the case and its description.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(caseName)
        hasher.combine(description)
    }

    private var caseName: String {
        switch self {
        case .io: "io"
        case .diskFull: "diskFull"
        case .refusingWrites: "refusingWrites"
        case .locked: "locked"
        case .insecureDirectory: "insecureDirectory"
        case .notADirectory: "notADirectory"
        case .invalidName: "invalidName"
        case .recordTooLarge: "recordTooLarge"
        case .unencodable: "unencodable"
        case .closed: "closed"
        case .other: "other"
        }
    }

    /// Whether the store sent a write but heard no answer (the connection dropped, or its bound
    /// passed): it may or may not have taken effect. A shared store (PostgreSQL) says so; the file
    /// log always knows.
    public var isOutcomeUnknown: Bool {
        guard case .other(let error) = self, let uncertain = error as? any UncertainStoreError else { return false }
        return uncertain.outcomeIsUnknown
    }

    /// Checks a mailbox name: `[A-Za-z0-9._-]{1,128}`, no `..`, not `.`.
    public static func validate(name: String) throws(StoreFailure) {
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        guard allowed, (1...128).contains(name.utf8.count), !name.contains(".."), name != "." else {
            throw .invalidName(name)
        }
    }
}

/// A store's error that can say whether a write it sent may have taken effect without its answer
/// arriving (``StoreFailure/isOutcomeUnknown``).
package protocol UncertainStoreError: Error {
    /// The write was sent and not confirmed.
    var outcomeIsUnknown: Bool { get }
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
