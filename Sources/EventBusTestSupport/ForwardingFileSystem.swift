import EventLog
import EventQueue

/// A file system that hands every call to the real one: test doubles conform and implement
/// only the calls they change (fail, count, hold back).
package protocol ForwardingFileSystem: FileSystem {
    /// The file system every call goes to unless the double implements it.
    var base: PosixFileSystem { get }
}

extension ForwardingFileSystem {
    package func makeDirectory(_ path: String) throws(StoreFailure) { try base.makeDirectory(path) }
    package func directoryMode(_ path: String) throws(StoreFailure) -> UInt32? { try base.directoryMode(path) }
    package func list(_ directory: String) throws(StoreFailure) -> [String] { try base.list(directory) }
    package func openForWriting(_ path: String, create: Bool) throws(StoreFailure) -> Int32 {
        try base.openForWriting(path, create: create)
    }
    package func readAll(_ path: String, limit: Int) throws(StoreFailure) -> [UInt8] {
        try base.readAll(path, limit: limit)
    }
    package func write(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(StoreFailure) {
        try base.write(fd, bytes, at: offset, path: path)
    }
    package func sync(_ fd: Int32, path: String) throws(StoreFailure) { try base.sync(fd, path: path) }
    package func truncate(_ fd: Int32, to length: Int, path: String) throws(StoreFailure) {
        try base.truncate(fd, to: length, path: path)
    }
    package func allocate(_ fd: Int32, to length: Int, path: String) throws(StoreFailure) {
        try base.allocate(fd, to: length, path: path)
    }
    package func size(_ fd: Int32, path: String) throws(StoreFailure) -> Int { try base.size(fd, path: path) }
    package func close(_ fd: Int32) { base.close(fd) }
    package func remove(_ path: String) throws(StoreFailure) { try base.remove(path) }
    package func removeDirectory(_ path: String) throws(StoreFailure) { try base.removeDirectory(path) }
    package func syncDirectory(_ path: String) throws(StoreFailure) { try base.syncDirectory(path) }
    package func lockExclusive(_ path: String) throws(StoreFailure) -> Int32 { try base.lockExclusive(path) }
    package func writeFile(_ path: String, _ bytes: [UInt8]) throws(StoreFailure) { try base.writeFile(path, bytes) }
}
