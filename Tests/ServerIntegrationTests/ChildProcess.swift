#if ServiceLifecycleSupport
    import EventLog
    import Foundation

    /// A child process whose standard output is read line by line as it comes.
    final class ChildProcess: Sendable {
        private struct Output {
            var lines: [String] = []
            var partial: [UInt8] = []
            var ended = false
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

        func start() throws {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: executable)
            child.arguments = arguments
            let pipe = Pipe()
            child.standardOutput = pipe
            child.standardError = FileHandle.nullDevice
            try child.run()
            process.withLock { $0 = child }
            let reading = pipe.fileHandleForReading
            let output = self.output
            Thread.detachNewThread {
                while true {
                    let data = reading.availableData
                    output.withLock { state in
                        guard !data.isEmpty else {
                            state.ended = true
                            return
                        }
                        for byte in data {
                            if byte == UInt8(ascii: "\n") {
                                state.lines.append(String(decoding: state.partial, as: UTF8.self))
                                state.partial.removeAll()
                            } else {
                                state.partial.append(byte)
                            }
                        }
                    }
                    if data.isEmpty { return }
                }
            }
        }

        /// Waits until `condition` holds for the lines so far, or the output has ended.
        func wait(until condition: ([String]) -> Bool) async {
            while true {
                let (lines, ended) = output.withLock { ($0.lines, $0.ended) }
                if condition(lines) || ended { return }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }

        /// Sends SIGTERM.
        func terminate() {
            process.withLock { $0?.terminate() }
        }

        /// Waits until the process has exited and its output has ended; its exit status.
        func exit() async -> Int32 {
            await wait { _ in false }
            while process.withLock({ $0?.isRunning ?? false }) {
                try? await Task.sleep(for: .milliseconds(10))
            }
            return process.withLock { $0?.terminationStatus ?? -1 }
        }
    }
#endif
