import EventBus
import Foundation
import Testing

/// Where a durable mailbox may live: a store directory everybody may write to.
@Suite struct StoreDirectoryTests {
    @Test func aStoreDirectoryEverybodyMayWriteIsRefusedUnlessSticky() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let open = directory + "/open"
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false)
        #expect(chmod(open, 0o777) == 0)
        let bus = Bus()
        await #expect {
            try await bus.subscribe(OrderPlaced.self, mailbox: .durable(name: "orders", directory: open))
        } throws: { error in
            guard case BusError.mailboxUnavailable("orders", .insecureDirectory(open, let mode)) = error else {
                return false
            }
            return mode & 0o777 == 0o777
        }
        // Nothing was made in it.
        #expect(!FileManager.default.fileExists(atPath: open + "/orders"))
        _ = await bus.shutdown()
    }

    @Test func aStickyStoreDirectoryEverybodyMayWriteIsUsedWithAWarning() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shared = directory + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        #expect(chmod(shared, 0o1777) == 0)
        let bus = Bus()
        let orders = try await bus.subscribe(OrderPlaced.self, mailbox: .durable(name: "orders", directory: shared))
        let report = try #require(orders.recoveryReport)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains(shared) == true)
        #expect(bus.recoveryReports()["orders"]?.warnings == report.warnings)
        _ = await bus.shutdown()
    }

    @Test func aPrivateStoreDirectoryHasNoWarning() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bus = Bus()
        let orders = try await bus.subscribe(OrderPlaced.self, mailbox: .durable(name: "orders", directory: directory))
        #expect(orders.recoveryReport?.warnings == [])
        _ = await bus.shutdown()
    }
}
