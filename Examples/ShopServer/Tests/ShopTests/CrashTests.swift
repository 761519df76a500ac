import Foundation
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The server as a user runs it: a child process, killed with SIGKILL in the middle of traffic,
/// started again on the same `--data`. Every accepted order is charged exactly once.
@Suite struct CrashTests {
    @Test func aKilledServerChargesEveryAcceptedOrderExactlyOnceAfterARestart() async throws {
        let executable = try #require(Self.executable("ShopServer"), "ShopServer was not built beside the tests")
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }

        let first = try Server(executable, data: data)
        let accepted = Accepted()
        // Four clients post orders until the server dies under them.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let id = try? await first.post(
                        #"{"customer": "ada", "items": [{"sku": "A1", "quantity": 1}]}"#
                    ) {
                        accepted.add(id)
                    }
                }
            }
            while accepted.count < 400 { try await Task.sleep(for: .milliseconds(5)) }
            first.kill()
            try await group.waitForAll()
        }
        let before = accepted.ids
        #expect(before.count >= 400)

        let second = try Server(executable, data: data)
        // Billing works through what the first process accepted and did not settle.
        var pending = Int.max
        for _ in 0..<2_000 where pending > 0 {
            pending = try await second.billingPending()
            if pending > 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(pending == 0)
        second.stop()

        let lines = try String(contentsOfFile: data + "/ledger.txt", encoding: .utf8)
            .split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        #expect(lines.count == Set(lines).count, "an order was charged twice")
        let missing = before.subtracting(lines)
        #expect(missing.isEmpty, "accepted and never charged: \(missing.count)")
    }

    /// An executable built beside this test binary.
    static func executable(_ name: String) -> String? {
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}

/// Order ids the server answered 202 for.
final class Accepted: Sendable {
    private let state = Mutex<Set<String>>([])
    func add(_ id: String) { state.withLock { _ = $0.insert(id) } }
    var count: Int { state.withLock { $0.count } }
    var ids: Set<String> { state.withLock { $0 } }
}

/// A ShopServer child process on a port of the system's choosing.
final class Server: Sendable {
    private let process: Mutex<Process>
    let base: String

    init(_ executable: String, data: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--port", "0", "--data", data]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = Mutex(process)
        // The server prints the address it listens on once it does.
        var output = Data()
        let prefix = "ShopServer listening on "
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { throw ServerDidNotStart() }
            output.append(chunk)
            let text = String(decoding: output, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                base = String(line.dropFirst(prefix.count))
                break
            }
        }
        // Keep draining its output so that it never blocks on a full pipe.
        let reading = pipe.fileHandleForReading
        Thread.detachNewThread {
            while !reading.availableData.isEmpty {}
        }
    }

    struct ServerDidNotStart: Error {}

    /// Posts an order; its id when the server answered 202, nil otherwise (it died).
    func post(_ body: String) async throws -> String? {
        var request = URLRequest(url: URL(string: base + "/orders")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            (response as? HTTPURLResponse)?.statusCode == 202
        else { return nil }
        struct Accepted: Decodable { let id: String }
        return try JSONDecoder().decode(Accepted.self, from: data).id
    }

    /// Billing's unsettled orders, from `GET /health`.
    func billingPending() async throws -> Int {
        let (data, _) = try await URLSession.shared.data(from: URL(string: base + "/health")!)
        struct Health: Decodable { let billingPending: Int }
        return try JSONDecoder().decode(Health.self, from: data).billingPending
    }

    func kill() {
        process.withLock { process in
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    func stop() {
        process.withLock { process in
            process.terminate()
            process.waitUntilExit()
        }
    }
}
