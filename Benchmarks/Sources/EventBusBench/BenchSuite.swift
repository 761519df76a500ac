import EventBus
import Foundation
import Synchronization

/// The event every in-memory row publishes.
struct BenchEvent: Event, Codable {
    let value: Int
}

/// A protocol of events, for `protocol-subscription-1`.
protocol BenchProtocol: Event {}
/// `BenchEvent` is the one `BenchProtocol` event.
extension BenchEvent: BenchProtocol {}

/// The request of `request-reply`; its response is the value plus one.
struct BenchRequest: Request {
    typealias Response = Int
    let value: Int
}

/// A tiny payload for the durable rows (64 bytes of JSON body or less).
struct DurableEvent: Event, Codable {
    let value: Int
}

/// `DurableEvent` as 8 little-endian bytes: what a hand-written binary codec costs.
struct DurableEventCodec: EventCodec {
    func encode(_ event: DurableEvent) throws -> [UInt8] {
        withUnsafeBytes(of: Int64(event.value).littleEndian) { Array($0) }
    }

    func encode(_ event: DurableEvent, into bytes: inout [UInt8]) throws {
        withUnsafeBytes(of: Int64(event.value).littleEndian) { bytes.append(contentsOf: $0) }
    }

    func decode(_ bytes: [UInt8]) throws -> DurableEvent {
        guard bytes.count == 8 else { throw CodecError.malformedEnvelope }
        var value: Int64 = 0
        for (index, byte) in bytes.enumerated() { value |= Int64(byte) << (8 * index) }
        return DurableEvent(value: Int(value))
    }
}

/// Distinct event types for `publish-10000-types`: B0/B1 wrappers spell a 14-bit path.
struct Root: Event {}
/// A 0 bit of a `publish-10000-types` path.
struct B0<T>: Event {}
/// A 1 bit of a `publish-10000-types` path.
struct B1<T>: Event {}

/// Counts deliveries without a lock.
final class Counter: Sendable {
    let value = Atomic<Int>(0)
    func add() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

/// The actor of `baseline-actor-hop` and of the floor observers: one awaited call per event.
actor HopTarget {
    var sum = 0
    func handle(_ event: BenchEvent) { sum &+= event.value }
}

/// An observer of `BenchEvent` that sums the values it sees.
actor BenchObserver: EventHandler {
    var sum = 0
    static func declareHandlers(_ handlers: inout EventHandlers<BenchObserver>) {
        handlers.handle(BenchEvent.self) { observer, event in observer.sum &+= event.value }
    }
}

/// Installs the middleware machinery without doing anything, to price the seam itself.
struct NoOpMiddleware: Middleware {}

/// The naive bus users would otherwise write: an actor with a dictionary of closures.
actor NaiveBus {
    var handlers: [ObjectIdentifier: [@Sendable (Any) -> Void]] = [:]
    func on<E>(_ type: E.Type, _ handler: @escaping @Sendable (Any) -> Void) {
        handlers[ObjectIdentifier(type), default: []].append(handler)
    }
    func publish<E>(_ event: E) {
        for handler in handlers[ObjectIdentifier(E.self)] ?? [] { handler(event) }
    }
}

/// Resident memory, from /proc, and heap bytes in use, from the allocator.
enum Memory {
    /// Hands pages freed by earlier rows back to the system (glibc's `malloc_trim`), so that
    /// the resident-memory growth of the next measurement is its own and not hidden in them.
    static func releaseFreePages() {
        #if canImport(Glibc)
            typealias Trim = @convention(c) (Int) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
            _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }

    /// Heap bytes in use across every malloc arena (glibc's `malloc_info`: the system memory of
    /// the arenas, less their free chunks, plus mmapped chunks), or nil without glibc. Unlike
    /// resident memory it does not depend on what earlier rows freed, nor on when the allocator
    /// hands freed pages back.
    static func heapBytesInUse() -> Int? {
        #if canImport(Glibc)
            typealias Info = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_info") else { return nil }
            var buffer: UnsafeMutablePointer<CChar>?
            var size = 0
            guard let stream = open_memstream(&buffer, &size) else { return nil }
            _ = unsafeBitCast(symbol, to: Info.self)(0, stream)
            fclose(stream)
            guard let buffer else { return nil }
            let xml = String(cString: buffer)
            free(buffer)

            // The totals over every arena follow the last `</heap>`.
            guard let end = xml.range(of: "</heap>", options: .backwards) else { return nil }
            let totals = xml[end.upperBound...]
            func total(_ element: String) -> Int? {
                guard let found = totals.range(of: element) else { return nil }
                let rest = totals[found.upperBound...]
                guard let start = rest.range(of: "size=\"")?.upperBound,
                    let stop = rest[start...].firstIndex(of: "\"")
                else { return nil }
                return Int(rest[start..<stop])
            }
            guard let system = total("<system type=\"current\""), let fast = total("<total type=\"fast\""),
                let unused = total("<total type=\"rest\""), let mapped = total("<total type=\"mmap\"")
            else { return nil }
            return system - fast - unused + mapped
        #else
            return nil
        #endif
    }

    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}

/// Every row of the benchmark.
struct Suite {
    /// A row's name, the deliveries each of its events makes, and one measurement of it.
    typealias Case = (name: String, deliveries: Int, body: () async throws -> Bench.Row)
    let scale: Int
    let directory: String
    /// The server of the `pg-` rows; nil: they are not listed.
    var postgres: PostgresBench?
    /// With `--allocations`: counts what each timed section allocates.
    var allocations: AllocationCounter?
    /// The CPU time of each timed section.
    let cpu = CPUTimer()

    func nanoseconds(_ events: Int, _ body: () async throws -> Void) async rethrows -> Double {
        allocations?.start()
        cpu.start()
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        cpu.stop(events: events)
        allocations?.stop(events: events)
        let seconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        return seconds / Double(events)
    }

    func row(_ name: String, _ ns: Double, deliveries: Int = 1, note: String = "") -> Bench.Row {
        Bench.Row(name: name, nsPerEvent: ns, deliveries: deliveries, note: note)
    }

    var cases: [Case] {
        let n = 200_000 * scale
        return [
            ("baseline-direct", 1, { try await direct(n, handlers: 1) }),
            ("baseline-direct-10", 10, { try await direct(n, handlers: 10) }),
            ("baseline-actor-hop", 1, { await actorHop(n) }),
            ("baseline-asyncstream", 1, { await asyncStream(n / 2, streams: 1) }),
            ("baseline-asyncstream-10", 10, { await asyncStream(n / 10, streams: 10) }),
            ("baseline-asyncchannel", 1, { await asyncChannel(n / 4, channels: 1) }),
            ("baseline-asyncchannel-10", 10, { await asyncChannel(n / 20, channels: 10) }),
            ("baseline-notificationcenter", 1, { notificationCenter(n / 2, observers: 1) }),
            ("baseline-notificationcenter-10", 10, { notificationCenter(n / 4, observers: 10) }),
            ("baseline-opencombine", 1, { openCombine(n / 2, sinks: 1) }),
            ("baseline-opencombine-10", 10, { openCombine(n / 4, sinks: 10) }),
            ("baseline-naive-bus", 1, { await naiveBus(n) }),
            ("floor-observer-1", 1, { await floorObservers(n, count: 1) }),
            ("floor-observer-10", 10, { await floorObservers(n / 4, count: 10) }),
            ("floor-mailbox-1", 1, { await floorMailboxes(n, count: 1) }),
            ("floor-mailbox-10", 10, { await floorMailboxes(n / 4, count: 10) }),
            ("observer-1", 1, { try await observers(n, count: 1) }),
            ("observer-10", 10, { try await observers(n / 4, count: 10) }),
            ("observer-1-middleware", 1, { try await observers(n, count: 1, middleware: true) }),
            ("callback-1", 1, { try await callbacks(n, count: 1) }),
            ("callback-inline-1", 1, { try await inlineCallbacks(n, count: 1) }),
            ("callback-inline-10", 10, { try await inlineCallbacks(n / 4, count: 10) }),
            ("callback-10", 10, { try await callbacks(n / 4, count: 10) }),
            ("mailbox-1", 1, { try await mailboxes(n, count: 1) }),
            ("mailbox-10", 10, { try await mailboxes(n / 4, count: 10) }),
            ("protocol-subscription-1", 1, { try await protocolSubscription(n) }),
            ("p2p-4-consumers", 1, { try await pointToPoint(n / 2) }),
            ("request-reply", 1, { try await requestReply(n / 4) }),
            ("publish-10000-types", 1, { try await manyTypes(n) }),
            ("batch-observer-1", 1, { try await batchObservers(n) }),
            ("batch-callback-1", 1, { try await batchCallbacks(n) }),
            ("batch-mailbox-1", 1, { try await batchMailboxes(n) }),
            ("latency-observer", 1, { try await latency(.observer) }),
            ("latency-callback", 1, { try await latency(.callback) }),
            ("latency-mailbox", 1, { try await latency(.mailbox) }),
            ("latency-asyncstream", 1, { try await latency(.asyncStream) }),
            ("raw-fsync", 1, { try rawFsync(200 * scale) }),
            ("raw-append-batched", 1, { try rawBatched(100_000 * scale) }),
            (
                "durable-always", 1,
                { try await durable("always", count: 200 * scale, publishers: 1, paired: .fsync, sync: .always) }
            ),
            (
                "durable-none", 1,
                { try await durable("none", count: 20_000 * scale, publishers: 1, sync: .none) }
            ),
            (
                "durable-always-8", 1,
                { try await durable("always8", count: 800 * scale, publishers: 8, paired: .fsync, sync: .always) }
            ),
            (
                "durable-batched", 1,
                {
                    try await durable(
                        "batched",
                        count: 200_000 * scale,
                        publishers: 4,
                        batch: 1_000,
                        paired: .groupCommit,
                        sync: .batched
                    )
                }
            ),
            (
                "durable-binary-batched", 1,
                {
                    try await durable(
                        "binary",
                        count: 200_000 * scale,
                        publishers: 4,
                        batch: 1_000,
                        binary: true,
                        paired: .groupCommit,
                        sync: .batched
                    )
                }
            ),
            (
                "durable-singles-batched", 1,
                {
                    try await durable("singles", count: 50_000 * scale, publishers: 512, sync: .batched)
                }
            ),
            // The same count in both modes: the ring buffers grow by doubling, so the bytes per event
            // depend on how full the last doubling is (200,000 events fill 76 % of it, 1,000,000 95 %).
            ("bytes-per-queued-event", 1, { try await bytesPerEvent(1_000_000) }),
            ("soak", 1, { try await soak(1_000_000) }),
        ] + codecCases + (postgres?.cases ?? [])
    }

    // MARK: Baselines

    func direct(_ n: Int, handlers count: Int) async throws -> Bench.Row {
        let counter = Counter()
        let handlers: [(BenchEvent) -> Void] = (0..<count).map { _ in { event in if event.value < 0 { counter.add() } }
        }
        let ns = await nanoseconds(n) {
            for value in 0..<n {
                let event = BenchEvent(value: value)
                for handler in handlers { handler(event) }
            }
        }
        return row("", ns)
    }

    func actorHop(_ n: Int) async -> Bench.Row {
        let target = HopTarget()
        let ns = await nanoseconds(n) {
            for value in 0..<n { await target.handle(BenchEvent(value: value)) }
        }
        return row("", ns)
    }

    func asyncStream(_ n: Int, streams count: Int) async -> Bench.Row {
        let pairs = (0..<count).map { _ in AsyncStream<BenchEvent>.makeStream() }
        let consumers = pairs.map { pair in
            Task {
                var seen = 0
                for await _ in pair.stream {
                    seen += 1
                    if seen == n { break }
                }
            }
        }
        let ns = await nanoseconds(n) {
            for value in 0..<n {
                for pair in pairs { pair.continuation.yield(BenchEvent(value: value)) }
            }
            for consumer in consumers { await consumer.value }
        }
        return row("", ns)
    }

    func notificationCenter(_ n: Int, observers count: Int) -> Bench.Row {
        let center = NotificationCenter()
        let name = Notification.Name("bench")
        let counter = Counter()
        let tokens = (0..<count).map { _ in
            center.addObserver(forName: name, object: nil, queue: nil) { note in
                if (note.object as? BenchEvent)?.value == -1 { counter.add() }
            }
        }
        allocations?.start()
        cpu.start()
        let start = ContinuousClock.now
        for value in 0..<n { center.post(name: name, object: BenchEvent(value: value)) }
        let elapsed = ContinuousClock.now - start
        cpu.stop(events: n)
        allocations?.stop(events: n)
        for token in tokens { center.removeObserver(token) }
        return row(
            "",
            Double(elapsed.components.attoseconds / 1_000_000_000 + elapsed.components.seconds * 1_000_000_000)
                / Double(n)
        )
    }

    func naiveBus(_ n: Int) async -> Bench.Row {
        let bus = NaiveBus()
        let counter = Counter()
        await bus.on(BenchEvent.self) { event in if (event as? BenchEvent)?.value == -1 { counter.add() } }
        let ns = await nanoseconds(n) {
            for value in 0..<n { await bus.publish(BenchEvent(value: value)) }
        }
        return row("", ns)
    }

    // MARK: Floors

    func floorObservers(_ n: Int, count: Int) async -> Bench.Row {
        let bus = FloorBus()
        let observers = (0..<count).map { _ in HopTarget() }
        for observer in observers { bus.on(BenchEvent.self) { event, _ in await observer.handle(event) } }
        let ns = await nanoseconds(n) {
            for value in 0..<n { await bus.publish(BenchEvent(value: value)) }
        }
        return row("", ns, deliveries: count, note: "least an observer publish does: lookup, id + time, awaited hops")
    }

    func floorMailboxes(_ n: Int, count: Int) async -> Bench.Row {
        let bus = FloorBus()
        let consumers = (0..<count).map { _ in
            let queue = bus.subscribe(BenchEvent.self)
            return Task {
                var seen = 0
                while seen < n { seen += await queue.take().count }
            }
        }
        let ns = await nanoseconds(n) {
            for value in 0..<n { await bus.publish(BenchEvent(value: value)) }
            for consumer in consumers { await consumer.value }
        }
        return row("", ns, deliveries: count, note: "least a mailbox publish does: lookup, id + time, locked appends")
    }

    // MARK: EventBus

    func observers(_ n: Int, count: Int, middleware: Bool = false) async throws -> Bench.Row {
        let bus = Bus()
        if middleware { bus.use(NoOpMiddleware()) }
        let handlers = (0..<count).map { _ in BenchObserver() }
        for handler in handlers { try bus.register(handler) }
        // The bus holds observers weakly: keep them alive for the whole measurement.
        let ns = try await nanoseconds(n) {
            for value in 0..<n { try await bus.publish(BenchEvent(value: value)) }
        }
        withExtendedLifetime(handlers) {}
        await bus.shutdown()
        return row("", ns)
    }

    func callbacks(_ n: Int, count: Int) async throws -> Bench.Row {
        let bus = Bus(configuration: BusConfiguration(callbackCapacity: .unbounded))
        let counter = Counter()
        for _ in 0..<count { try bus.on(BenchEvent.self) { _ in counter.add() } }
        let ns = try await nanoseconds(n) {
            for value in 0..<n { try await bus.publish(BenchEvent(value: value)) }
            await bus.waitUntilIdle()
        }
        await bus.shutdown()
        return row("", ns)
    }

    func mailboxes(_ n: Int, count: Int) async throws -> Bench.Row {
        let bus = Bus()
        var consumers: [Task<Void, any Error>] = []
        for _ in 0..<count {
            let mailbox = try await bus.subscribe(
                BenchEvent.self,
                mailbox: .memory(.bounded(65_536, overflow: .suspendPublisher))
            )
            consumers.append(
                Task {
                    var seen = 0
                    for try await _ in mailbox {
                        seen += 1
                        if seen == n { break }
                    }
                }
            )
        }
        let ns = try await nanoseconds(n) {
            for value in 0..<n { try await bus.publish(BenchEvent(value: value)) }
            for consumer in consumers { try await consumer.value }
        }
        await bus.shutdown()
        return row("", ns)
    }

    func protocolSubscription(_ n: Int) async throws -> Bench.Row {
        let bus = Bus(configuration: BusConfiguration(callbackCapacity: .unbounded))
        let counter = Counter()
        try bus.on(matching: (any BenchProtocol).self) { _ in counter.add() }
        let ns = try await nanoseconds(n) {
            for value in 0..<n { try await bus.publish(BenchEvent(value: value)) }
            await bus.waitUntilIdle()
        }
        await bus.shutdown()
        return row("", ns)
    }

    func pointToPoint(_ n: Int) async throws -> Bench.Row {
        let bus = Bus()
        let counter = Counter()
        for _ in 0..<4 {
            try await bus.consume(
                BenchEvent.self,
                from: "bench",
                mailbox: .memory(.bounded(65_536, overflow: .suspendPublisher))
            ) {
                _ in counter.add()
            }
        }
        let ns = try await nanoseconds(n) {
            for value in 0..<n { try await bus.send(BenchEvent(value: value), to: "bench") }
            await bus.waitUntilIdle()
        }
        await bus.shutdown()
        return row("", ns)
    }

    func requestReply(_ n: Int) async throws -> Bench.Row {
        let bus = Bus()
        try bus.respond(BenchRequest.self) { $0.value &+ 1 }
        let ns = try await nanoseconds(n) {
            for value in 0..<n { _ = try await bus.request(BenchRequest(value: value), timeout: .seconds(10)) }
        }
        await bus.shutdown()
        return row("", ns)
    }

    func manyTypes(_ n: Int) async throws -> Bench.Row {
        let bus = Bus()
        var registered = 0
        func register<T>(_ type: T.Type, depth: Int) throws {
            guard registered < 10_000 else { return }
            if depth == 0 {
                try bus.on(B0<T>.self) { _ in }
                registered += 1
                return
            }
            try register(B0<T>.self, depth: depth - 1)
            try register(B1<T>.self, depth: depth - 1)
        }
        try register(Root.self, depth: 14)
        let handler = BenchObserver()
        try bus.register(handler)
        let ns = try await nanoseconds(n) {
            for value in 0..<n { try await bus.publish(BenchEvent(value: value)) }
        }
        withExtendedLifetime(handler) {}
        await bus.shutdown()
        return row("", ns, note: "\(registered) other event types subscribed")
    }

    // MARK: Durable

    func rawFsync(_ n: Int) throws -> Bench.Row {
        row("", try rawFsyncNanoseconds(n) / Double(n))
    }

    /// Appends `n` 64-byte records to a new file, each followed by `fdatasync`: the total time.
    func rawFsyncNanoseconds(_ n: Int) throws -> Double {
        let path = directory + "/raw-fsync-\(UUID().uuidString)"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        defer {
            close(fd)
            unlink(path)
        }
        let record = [UInt8](repeating: 7, count: 64)
        let start = ContinuousClock.now
        for _ in 0..<n {
            _ = record.withUnsafeBytes { write(fd, $0.baseAddress, 64) }
            fdatasync(fd)
        }
        return perEvent(ContinuousClock.now - start, n) * Double(n)
    }

    func rawBatched(_ n: Int) throws -> Bench.Row {
        row("", try rawBatchedNanoseconds(n) / Double(n), note: "groups of 1,000 × 64 B")
    }

    /// Nanoseconds to append `n` 64-byte records (rounded down to whole groups) in groups of
    /// 1,000, one write and one fdatasync per group, to a new file in the row directory.
    func rawBatchedNanoseconds(_ n: Int) throws -> Double {
        let path = directory + "/raw-batched-\(UUID().uuidString)"
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        defer {
            close(fd)
            unlink(path)
        }
        let group = [UInt8](repeating: 7, count: 64 * 1_000)
        let start = ContinuousClock.now
        for _ in 0..<(n / 1_000) {
            _ = group.withUnsafeBytes { write(fd, $0.baseAddress, group.count) }
            fdatasync(fd)
        }
        return perEvent(ContinuousClock.now - start, 1)
    }

    /// `publishers` tasks publish `n` events into one durable mailbox: one at a time, or (with
    /// `batch`) with `publish(contentsOf:)` in batches of that size. With `paired` the run is
    /// cut in four rounds, each after a round of the raw loop it is compared with (appends +
    /// fdatasyncs, or group commits) in the same directory: a shared disk's fsync latency drifts
    /// from one second to the next, and the ratio to the raw loop is only meaningful when both
    /// saw the same disk.
    /// The raw loop a durable row runs between its rounds, to compare against.
    enum Pairing {
        case none
        /// 64-byte appends, each fdatasynced (`raw-fsync`).
        case fsync
        /// Groups of 1,000 64-byte records, one write and one fdatasync each (`raw-append-batched`).
        case groupCommit
    }

    func durable(
        _ name: String,
        count n: Int,
        publishers: Int,
        batch: Int? = nil,
        binary: Bool = false,
        paired: Pairing = .none,
        sync: SyncPolicy
    ) async throws -> Bench.Row {
        let bus = Bus()
        // The mailbox is never consumed: its log keeps every event until the directory goes.
        let mailboxName = "\(name)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory + "/" + mailboxName) }
        let mailbox = try await bus.subscribe(
            DurableEvent.self,
            mailbox: .durable(
                name: mailboxName,
                directory: directory,
                sync: sync,
                capacity: 10_000_000
            ),
            codec: binary ? DurableEventCodec() : nil
        )
        func publish(_ range: Range<Int>) async throws {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for publisher in 0..<publishers {
                    group.addTask {
                        let values = Array(
                            stride(from: range.lowerBound + publisher, to: range.upperBound, by: publishers)
                        )
                        if let batch {
                            for start in stride(from: 0, to: values.count, by: batch) {
                                let slice = values[start..<min(start + batch, values.count)]
                                try await bus.publish(contentsOf: slice.map { DurableEvent(value: $0) })
                            }
                        } else {
                            for value in values { try await bus.publish(DurableEvent(value: value)) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        let rounds = paired == .none ? 1 : 4
        var total = 0.0
        var raw: (nanoseconds: Double, count: Int) = (0, 0)
        for round in 0..<rounds {
            switch paired {
            case .none: break
            case .fsync:
                let fsyncs = max(1, n / rounds / publishers)
                raw.nanoseconds += try rawFsyncNanoseconds(fsyncs)
                raw.count += fsyncs
            case .groupCommit:
                let records = max(1_000, n / rounds / 2 / 1_000 * 1_000)
                raw.nanoseconds += try rawBatchedNanoseconds(records)
                raw.count += records
            }
            let range = (round * n / rounds)..<((round + 1) * n / rounds)
            total += try await nanoseconds(range.count) { try await publish(range) } * Double(range.count)
        }
        _ = mailbox
        await bus.shutdown(draining: .zero)
        let shape = batch.map { "\(publishers) publishers × batches of \($0.formatted())" }
        let encoding = binary ? "binary codec" : "JSON"
        var result = row(
            "",
            total / Double(n),
            note: (shape ?? "\(publishers) publisher\(publishers == 1 ? "" : "s")") + ", \(encoding) encoding included"
        )
        if raw.count > 0 {
            let perRecord = raw.nanoseconds / Double(raw.count)
            switch paired {
            case .none: break
            case .fsync:
                result.pairedFsyncNanoseconds = perRecord
                result.note += String(format: "; raw fsync between its rounds: %.0f/s", 1e9 / perRecord)
            case .groupCommit:
                result.pairedGroupCommitNanoseconds = perRecord
                result.note += String(format: "; raw group commit between its rounds: %.0f/s", 1e9 / perRecord)
            }
        }
        return result
    }

    // MARK: Memory

    func bytesPerEvent(_ n: Int) async throws -> Bench.Row {
        let bus = Bus()
        let mailbox = try await bus.subscribe(BenchEvent.self, mailbox: .memory(.unbounded))
        // Heap bytes in use, not resident memory: what the queue holds, whatever earlier rows
        // freed and whenever the allocator returns outgrown ring buffers to the system.
        // Trimmed first: a large free top chunk left by earlier rows would be allocated from
        // without showing up as memory in use (malloc_info counts it as neither used nor free).
        let measure = {
            Memory.releaseFreePages()
            return Memory.heapBytesInUse() ?? Memory.residentBytes()
        }
        let before = measure()
        for value in 0..<n { try await bus.publish(BenchEvent(value: value)) }
        let after = measure()
        let depth = mailbox.metrics().depth
        await bus.shutdown(draining: .zero)
        var result = row("", 0, note: "\(depth) events queued, event is \(MemoryLayout<BenchEvent>.size) B")
        result.bytes = Double(after - before) / Double(max(1, depth))
        return result
    }

    func soak(_ n: Int) async throws -> Bench.Row {
        let bus = Bus()
        let mailbox = try await bus.subscribe(
            BenchEvent.self,
            mailbox: .memory(.bounded(10_000, overflow: .dropOldest))
        )
        let before = Memory.residentBytes()
        var peak = before
        let start = ContinuousClock.now
        for value in 0..<n {
            try await bus.publish(BenchEvent(value: value))
            if value % 50_000 == 0 { peak = max(peak, Memory.residentBytes()) }
        }
        let elapsed = ContinuousClock.now - start
        peak = max(peak, Memory.residentBytes())
        let dropped = mailbox.metrics().dropped
        await bus.shutdown(draining: .zero)
        var result = row(
            "",
            perEvent(elapsed, n),
            note: "1,000,000 events into a stalled 10,000-event mailbox, \(dropped) dropped"
        )
        result.bytes = Double(peak - before)
        return result
    }

    func perEvent(_ elapsed: Duration, _ n: Int) -> Double {
        (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(n)
    }
}
