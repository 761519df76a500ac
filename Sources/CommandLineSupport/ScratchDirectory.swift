import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private (0700) directory made under the system's temporary directory (`$TMPDIR`, else
/// `/tmp`), for commands, examples and tests that need somewhere to put a mailbox.
///
/// Whoever creates one removes it: ``remove()`` deletes it with everything inside.
public struct ScratchDirectory: Sendable, Hashable {
    /// The directory's absolute path.
    public let path: String

    /// Makes a new, empty directory named `<prefix>-XXXXXX` (six random characters).
    /// - Throws: ``ScratchDirectoryError`` when it cannot be made (a `TMPDIR` that does not
    ///   exist or cannot be written, a full disk).
    public static func create(prefix: String) throws(ScratchDirectoryError) -> ScratchDirectory {
        let parent = URL(fileURLWithPath: NSTemporaryDirectory()).path
        var template = Array((parent + "/" + prefix + "-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, let result = mkdtemp(base) else { return nil }
            return String(cString: result)
        }
        guard let made else {
            throw ScratchDirectoryError(parent: parent, reason: String(cString: strerror(errno)))
        }
        return ScratchDirectory(path: made)
    }

    /// The directory a user gave (`--dir`), or else a new scratch directory, returned too so
    /// that the caller removes it when done; a directory the user gave is never removed.
    /// - Throws: ``ScratchDirectoryError`` when a scratch directory is needed and cannot be made.
    public static func path(
        _ given: String?,
        orScratchWithPrefix prefix: String
    ) throws(ScratchDirectoryError) -> (path: String, scratch: ScratchDirectory?) {
        if let given { return (given, nil) }
        let scratch = try create(prefix: prefix)
        return (scratch.path, scratch)
    }

    /// Deletes the directory and everything in it; a directory already gone is not an error.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A scratch directory could not be made.
public struct ScratchDirectoryError: Error, Equatable, CustomStringConvertible {
    /// The directory it was to be made in.
    public let parent: String
    /// The system's reason (`strerror`).
    public let reason: String

    /// A line for the user, naming the directory and the way out.
    public var description: String {
        "cannot create a temporary directory in \(parent): \(reason) (set TMPDIR to a writable directory, or pass --dir)"
    }
}
