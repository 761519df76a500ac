#if LoggingSupport || MetricsSupport || TracingSupport || ServiceLifecycleSupport
    import EventBus
    import EventLog
    import Foundation

    struct Ping: Event, Codable, Equatable {
        let number: Int
    }

    struct Pong: Event, Codable, Equatable {
        let number: Int
    }

    struct Refused: Error, Equatable {
        let number: Int
    }

    /// A thread-safe list of what handlers saw.
    final class Seen<T: Sendable>: Sendable {
        private let state = Locked<[T]>([])

        func append(_ value: T) {
            state.withLock { $0.append(value) }
        }

        var values: [T] { state.withLock { $0 } }
    }

    /// A new private directory (0700) under the temporary directory; the test removes it.
    func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("eventbus-server-\(UUID())").path
        try FileManager.default.createDirectory(
            atPath: path,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        return path
    }

    /// Lines a handler reports, to await one of them from the test.
    final class Signals: Sendable {
        let stream: AsyncStream<String>
        private let continuation: AsyncStream<String>.Continuation

        init() {
            (stream, continuation) = AsyncStream.makeStream(of: String.self)
        }

        func send(_ line: String) {
            continuation.yield(line)
        }

        /// Waits for the first line equal to `line`.
        func wait(for line: String) async {
            for await next in stream where next == line { return }
        }
    }
#endif
