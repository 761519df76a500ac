import EventBusTesting
import EventQueue

/// Ids 1, 2, 3... for readable assertions.
func id(_ value: UInt64) -> EventID {
    EventID(high: 0, low: value)
}

extension WorkQueue {
    /// Takes what is ready now (never waits: the queue must hold something or be closed).
    func takeReady(_ max: Int = 1_000) async throws -> [Lease<Element>] {
        try await next(maxCount: max) ?? []
    }
}

extension WorkQueue {
    /// Takes what is ready, or nothing without waiting when nothing is.
    func readyNow() async throws -> [Lease<Element>] {
        metrics().depth == 0 ? [] : try await takeReady()
    }
}

func makeQueue(
    capacity: Capacity = .unbounded,
    acknowledgement: AcknowledgementMode = .none,
    retry: RetryPolicy = .none,
    deadLetter: DeadLetterPolicy = .keep,
    dedup: DedupWindow? = nil,
    clock: any QueueClock = SystemQueueClock()
) -> WorkQueue<Int> {
    WorkQueue(
        name: "test",
        configuration: QueueConfiguration(
            capacity: capacity,
            acknowledgement: acknowledgement,
            retry: retry,
            deadLetter: deadLetter,
            dedup: dedup,
            clock: clock
        )
    )
}

/// A file system that hands every call to the real one: test doubles conform and implement
/// only the calls they change (fail, count, hold back).
protocol ForwardingFileSystem: FileSystem {
    var base: PosixFileSystem { get }
}

extension ForwardingFileSystem {
    func makeDirectory(_ path: String) throws(FileLogError) { try base.makeDirectory(path) }
    func directoryMode(_ path: String) throws(FileLogError) -> UInt32? { try base.directoryMode(path) }
    func list(_ directory: String) throws(FileLogError) -> [String] { try base.list(directory) }
    func openForWriting(_ path: String, create: Bool) throws(FileLogError) -> Int32 {
        try base.openForWriting(path, create: create)
    }
    func readAll(_ path: String, limit: Int) throws(FileLogError) -> [UInt8] { try base.readAll(path, limit: limit) }
    func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(FileLogError) {
        try base.write(fd, bytes, at: offset, path: path)
    }
    func sync(_ fd: Int32, path: String) throws(FileLogError) { try base.sync(fd, path: path) }
    func truncate(_ fd: Int32, to length: Int, path: String) throws(FileLogError) {
        try base.truncate(fd, to: length, path: path)
    }
    func size(_ fd: Int32, path: String) throws(FileLogError) -> Int { try base.size(fd, path: path) }
    func close(_ fd: Int32) { base.close(fd) }
    func remove(_ path: String) throws(FileLogError) { try base.remove(path) }
    func syncDirectory(_ path: String) throws(FileLogError) { try base.syncDirectory(path) }
    func lockExclusive(_ path: String) throws(FileLogError) -> Int32 { try base.lockExclusive(path) }
    func writeFile(_ path: String, _ bytes: [UInt8]) throws(FileLogError) { try base.writeFile(path, bytes) }
}
