import CommandLineSupport
import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Synchronization
import Testing

#if PostgresSupport
    import PostgresFixtures
    import PostgresNIO

    @testable import EventBusPostgres
#endif

/// A kind of mailbox a user can choose: the argument of every parameterized behaviour test.
enum StoreKind: String, Sendable, Hashable, CustomTestStringConvertible {
    /// `.memory(…)`: the subscriber's own queue in this process.
    case memory
    /// `.durable(name:directory:)`: a durable mailbox on the local log.
    case localLog
    /// `.durable(name:store: .postgres(…))`: a consumer group in PostgreSQL (trait `PostgresSupport`).
    case postgres

    /// Every kind this run can test: in memory and the local log always; PostgreSQL when built
    /// with the trait and a server is configured (`EVENTBUS_POSTGRES_URL`). A trait build without
    /// a server skips `postgresVariantsRun` with the reason, so that the run says what it left out.
    static var all: [StoreKind] {
        #if PostgresSupport
            if PostgresTestSupport.isConfigured { return [.memory, .localLog, .postgres] }
        #endif
        return [.memory, .localLog]
    }

    /// The kinds whose mailboxes are durable.
    static var durable: [StoreKind] { all.filter { $0 != .memory } }

    var testDescription: String { rawValue }
}

/// What a behaviour test needs of a store, whatever its kind: buses on one manual clock, the
/// mailbox value a user would write, time moved without sleeping (the manual clock in process;
/// for PostgreSQL the rows' `visible_at` and leases moved back), and what waits for its time.
final class StoreFixture: Sendable {
    let kind: StoreKind
    /// The clock of every bus of the fixture: delays, backoff, visibility timeouts and the drain
    /// deadline in process move only when the test advances it.
    let clock = ManualClock()
    /// The local log's directory (local log only).
    let directory: String?
    #if PostgresSupport
        let client: PostgresClient?
        let schema: String?
    #endif

    #if PostgresSupport
        private init(kind: StoreKind, directory: String?, client: PostgresClient?, schema: String?) {
            self.kind = kind
            self.directory = directory
            self.client = client
            self.schema = schema
        }
    #else
        private init(kind: StoreKind, directory: String?) {
            self.kind = kind
            self.directory = directory
        }
    #endif

    /// Runs `body` with a fixture of `kind`, and removes what the fixture made (the local log's
    /// directory; the PostgreSQL schema, when the body succeeded).
    static func with<T: Sendable>(
        _ kind: StoreKind,
        _ body: @Sendable (StoreFixture) async throws -> T
    ) async throws -> T {
        switch kind {
        case .memory, .localLog:
            let directory = kind == .localLog ? try ScratchDirectory.create(prefix: "eventbus-behaviour").path : nil
            defer { if let directory { try? FileManager.default.removeItem(atPath: directory) } }
            #if PostgresSupport
                return try await body(StoreFixture(kind: kind, directory: directory, client: nil, schema: nil))
            #else
                return try await body(StoreFixture(kind: kind, directory: directory))
            #endif
        case .postgres:
            #if PostgresSupport
                return try await PostgresTestSupport.withClient { client, schema in
                    try await body(StoreFixture(kind: kind, directory: nil, client: client, schema: schema))
                }
            #else
                preconditionFailure("PostgreSQL variants run only with the trait PostgresSupport")
            #endif
        }
    }

    /// A bus on the fixture's clock.
    func makeBus() -> Bus {
        Bus(configuration: BusConfiguration(clock: clock))
    }

    /// The mailbox named `name` of this kind.
    func mailbox(_ name: String) -> Mailbox {
        switch kind {
        case .memory:
            return .memory(.bounded(1_000, overflow: .suspendPublisher))
        case .localLog:
            return .durable(name: name, directory: directory ?? "/nonexistent", sync: .none)
        case .postgres:
            #if PostgresSupport
                if let client, let schema {
                    return .durable(name: name, store: .postgres(client, schema: schema, options: Self.postgresOptions))
                }
            #endif
            preconditionFailure("no PostgreSQL client")
        }
    }

    #if PostgresSupport
        /// Small batches and a short poll: a consumer sees rows the test moved within a poll.
        static let postgresOptions = PostgresStoreOptions(batchSize: 8, pollInterval: .milliseconds(50))
    #endif

    /// Moves time forward by `duration` for everything that waits: the manual clock of the buses
    /// (delays, backoff, visibility timeouts, the drain's deadline), and for PostgreSQL the
    /// visibility times of every row of the fixture's schema (then a wake-up). Leases do not
    /// move: a live process renews its own.
    func advance(by duration: Duration) async throws {
        clock.advance(by: duration)
        #if PostgresSupport
            if let client, let schema {
                let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
                try await client.query(
                    """
                    UPDATE "\(unescaped: schema)".deliveries
                    SET visible_at = visible_at - \(seconds) * interval '1 second'
                    WHERE visible_at <> 'infinity'
                    """
                )
                let groups = PostgresGroups(client, schema: schema)
                let declared = try await groups.declared().map(\.group)
                try await groups.store.notify(declared)
            }
        #endif
    }

    /// How many events wait for their time (a delayed publish, a retry's backoff) for mailbox
    /// `name`: in memory, across the bus's queues and its scheduler; on the local log, in the
    /// mailbox's own queue (the scheduler holds a copy for in-memory subscribers only); in the
    /// group's rows for PostgreSQL.
    func waiting(on bus: Bus, mailbox name: String) async throws -> Int {
        #if PostgresSupport
            if let client, let schema {
                let rows = try await client.query(
                    """
                    SELECT count(*)::bigint FROM "\(unescaped: schema)".deliveries
                    WHERE group_name = \(name) AND visible_at > now() AND lease_owner IS NULL AND acked_at IS NULL
                    """
                )
                var count = 0
                for try await value in rows.decode(Int64.self) { count = Int(value) }
                return count
            }
        #endif
        let queues = bus.metrics().queues
        if kind == .localLog { return queues.first { $0.name == name }?.delayed ?? 0 }
        return queues.reduce(0) { $0 + $1.delayed }
    }

    /// Waits (without a time assertion: the test's time limit bounds it) until `done`.
    func eventually(_ done: @Sendable () async throws -> Bool) async throws {
        while try await !done() {
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// An event of the behaviour tests.
struct Order: Event, Codable, Equatable {
    let id: Int
}

/// A handler's refusal.
struct Declined: Error, CustomStringConvertible {
    let id: Int
    var description: String { "declined \(id)" }
}

/// What handlers saw: event ids and attempt numbers, in order.
final class Seen: Sendable {
    private let state = Locked<[(id: Int, attempt: Int)]>([])

    /// Records the event being handled, with its attempt from the handler's context.
    func record(_ order: Order) {
        let attempt = EventContext.current?.metadata.attempt ?? 0
        state.withLock { $0.append((order.id, attempt)) }
    }

    var ids: [Int] { state.withLock { $0.map(\.id) } }
    var attempts: [Int] { state.withLock { $0.map(\.attempt) } }
    var count: Int { state.withLock { $0.count } }
}
