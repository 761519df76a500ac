import Foundation

/// How a command ends when its body throws: the message, where it goes, and the exit status.
///
/// `--help` goes to standard output with status 0; a refused argument goes to standard error
/// with status 64 (`EX_USAGE`); any other error goes to standard error, prefixed with the
/// command's name, with status 1. No error ends in a trap.
public struct CommandExit: Equatable, Sendable {
    /// The line (or help text) to print.
    public let message: String
    /// Whether it goes to standard error rather than standard output.
    public let toStandardError: Bool
    /// The process exit status.
    public let status: Int32

    /// Creates an outcome.
    public init(message: String, toStandardError: Bool, status: Int32) {
        self.message = message
        self.toStandardError = toStandardError
        self.status = status
    }

    /// The outcome of `error` thrown by the command `command` (`orderservice`, `eventbus-bench`).
    public init(for error: any Error, command: String) {
        if let error = error as? ArgumentError {
            // Its text already names the command or the option.
            self.init(message: error.description, toStandardError: error.exitCode != 0, status: error.exitCode)
        } else {
            self.init(message: "\(command): \(error)", toStandardError: true, status: 1)
        }
    }

    /// Runs a command's body, then exits: with 0 when it returns, as ``init(for:command:)``
    /// says when it throws.
    public static func run(
        _ command: String,
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws -> Void
    ) async -> Never {
        do {
            try await body()
            exit(0)
        } catch {
            CommandExit(for: error, command: command).printAndExit()
        }
    }

    /// Prints the message where it belongs and exits with the status.
    public func printAndExit() -> Never {
        if toStandardError {
            FileHandle.standardError.write(Data((message + "\n").utf8))
        } else {
            print(message)
        }
        exit(status)
    }
}
