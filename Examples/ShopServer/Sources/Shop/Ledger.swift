import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Why the ledger could not be used.
public struct LedgerError: Error, CustomStringConvertible {
    /// What failed, with the path and the system's reason.
    public let description: String
}

/// The charges made, one line per order (`<order id> <cents>`), appended and flushed to disk
/// before a charge counts: what makes billing idempotent.
///
/// A durable mailbox delivers at least once: after a crash, an order whose charge was written but
/// not yet acknowledged is delivered again. Billing asks the ledger first, so the second delivery
/// finds the charge and only acknowledges. A line torn by a crash mid-write (no newline) is cut off
/// when the ledger opens: that charge was never acknowledged, so it is delivered and written again.
public final class Ledger: Sendable {
    /// The file.
    public let path: String
    private struct State {
        var fd: Int32
        var charges: [String: Int]
    }

    // Guarded by its own lock: billing consumers and HTTP handlers read and write it.
    private let state: Mutex<State>

    /// Opens (or creates) the ledger at `path`.
    /// - Throws: ``LedgerError`` when the file cannot be read, repaired or opened.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LedgerError(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var charges: [String: Int] = [:]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let complete = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            if complete < data.count, ftruncate(fd, off_t(complete)) != 0 {
                close(fd)
                throw LedgerError(
                    description: "cannot cut the torn tail of \(path): \(String(cString: strerror(errno)))"
                )
            }
            for line in data.prefix(complete).split(separator: UInt8(ascii: "\n")) {
                let fields = line.split(separator: UInt8(ascii: " "))
                guard fields.count == 2, let cents = Int(String(decoding: fields[1], as: UTF8.self)) else { continue }
                charges[String(decoding: fields[0], as: UTF8.self)] = cents
            }
            lseek(fd, off_t(complete), SEEK_SET)
        } catch let error as LedgerError {
            throw error
        } catch {
            close(fd)
            throw LedgerError(description: "cannot read \(path): \(error)")
        }
        state = Mutex(State(fd: fd, charges: charges))
    }

    deinit {
        state.withLock { _ = close($0.fd) }
    }

    /// Charges `cents` for `orderID` unless it was charged already.
    /// - Returns: whether this call made the charge (false: it was in the ledger).
    /// - Throws: ``LedgerError`` when the line cannot be written and flushed.
    @discardableResult
    public func charge(_ orderID: String, cents: Int) throws -> Bool {
        try state.withLock { state in
            if state.charges[orderID] != nil { return false }
            let line = Array("\(orderID) \(cents)\n".utf8)
            let written = line.withUnsafeBytes { write(state.fd, $0.baseAddress, $0.count) }
            guard written == line.count, fdatasync(state.fd) == 0 else {
                throw LedgerError(description: "cannot write to \(path): \(String(cString: strerror(errno)))")
            }
            state.charges[orderID] = cents
            return true
        }
    }

    /// The charge for `orderID`, if any.
    public func charged(_ orderID: String) -> Int? {
        state.withLock { $0.charges[orderID] }
    }

    /// Every charge: order id → cents.
    public var charges: [String: Int] {
        state.withLock { $0.charges }
    }
}
