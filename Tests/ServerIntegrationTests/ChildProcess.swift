#if ServiceLifecycleSupport
    import EventLog
    import Foundation

    /// A child process whose standard output is read line by line as it comes.
    final class ChildProcess: Sendable {
        private struct Output {
            var lines: [String] = []
            var partial: [UInt8] = []
            var ended = false
            /// Lines that, once all seen, make the reader send SIGTERM.
            var terminateAfter: Set<String> = []
            /// The lines seen when SIGTERM was sent.
            var linesAtTermination: [String]?
        }

        private let executable: String
        private let arguments: [String]
        private let process = Locked<Process?>(nil)
        private let output = Locked(Output())

        init(_ executable: String, _ arguments: [String]) {
            self.executable = executable
            self.arguments = arguments
        }

        /// The complete lines written so far.
        var lines: [String] { output.withLock { $0.lines } }

        /// The lines read before ``start(terminatingAfter:)`` sent SIGTERM (nil: not sent).
        var linesAtTermination: [String]? { output.withLock { $0.linesAtTermination } }

        /// Starts the process. With `lines`, the thread that reads its output sends SIGTERM as soon as
        /// it has read every one of them (a test's task could be kept waiting by a busy pool).
        func start(terminatingAfter lines: Set<String> = []) throws {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = arguments
            let pipe = Pipe()
            child.standardOutput = pipe
            child.standardError = FileHandle.nullDevice
            output.withLock { $0.terminateAfter = lines }
            try child.run()
            process.withLock { $0 = child }
            let reading = pipe.fileHandleForReading
            let output = self.output
            let process = self.process
            Thread.detachNewThread {
                while true {
                    let data = reading.availableData
                    let terminate = output.withLock { state -> Bool in
                        guard !data.isEmpty else {
                            state.ended = true
                            return false
                        }
                        for byte in data {
                            if byte == UInt8(ascii: "\n") {
                                state.lines.append(String(decoding: state.partial, as: UTF8.self))
                                state.partial.removeAll()
                            } else {
                                state.partial.append(byte)
                            }
                        }
                        guard !state.terminateAfter.isEmpty, state.linesAtTermination == nil,
                            state.terminateAfter.isSubset(of: state.lines)
                        else { return false }
                        state.linesAtTermination = state.lines
                        return true
                    }
                    if terminate { process.withLock { $0?.terminate() } }
                    if data.isEmpty { return }
                }
            }
        }

        /// Waits until the process has exited and its output has ended; its exit status.
        func exit() async -> Int32 {
            while !output.withLock({ $0.ended }) || process.withLock({ $0?.isRunning ?? false }) {
                try? await Task.sleep(for: .milliseconds(10))
            }
            return process.withLock { $0?.terminationStatus ?? -1 }
        }
    }
#endif
