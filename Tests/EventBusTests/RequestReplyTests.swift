import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Testing

struct GetQuote: Request {
    typealias Response = Int
    let symbol: String
}

struct SlowQuery: Request {
    typealias Response = String
}

struct QuoteInCents: Request {
    typealias Response = String
    let symbol: String
}

@Suite struct RequestReplyTests {
    @Test func theResponderAnswers() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        try bus.respond(GetQuote.self) { $0.symbol.count * 10 }
        #expect(try await bus.request(GetQuote(symbol: "ABC"), timeout: .seconds(5)) == 30)
    }

    @Test func noResponderIsAnImmediateError() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))
        // The manual clock never moves: a timeout-based failure would hang here.
        await #expect(throws: BusError.self) { try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(1)) }
    }

    @Test func aSecondResponderIsRefused() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        let first = try bus.respond(GetQuote.self) { _ in 1 }
        #expect(throws: BusError.self) { try bus.respond(GetQuote.self) { _ in 2 } }
        first.cancel()
        try bus.respond(GetQuote.self) { _ in 2 }
        #expect(try await bus.request(GetQuote(symbol: ""), timeout: .seconds(5)) == 2)
    }

    @Test func aSlowResponderTimesOut() async throws {
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let gate = Gate()
        try bus.respond(SlowQuery.self) { _ in
            await gate.wait()
            return "late"
        }
        let request = Task { try await bus.request(SlowQuery(), timeout: .seconds(2)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(2))
        await #expect {
            try await request.value
        } throws: { error in
            guard case BusError.timeout(_, let after) = error else { return false }
            return after == .seconds(2)
        }
        await gate.open()
    }

    @Test func theResponderErrorReachesTheCaller() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        try bus.respond(GetQuote.self) { _ in throw Boom(code: 4) }
        await #expect(throws: Boom(code: 4)) { try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(5)) }
    }

    @Test func cancellingTheCallerCancelsTheRequest() async throws {
        let bus = Bus()
        let started = Gate()
        let cancelled = Collector<Bool>()
        try bus.respond(SlowQuery.self) { _ in
            await started.open()
            do {
                try await Task.sleep(for: .seconds(3_600))
            } catch {
                cancelled.append(true)
                throw error
            }
            return "never"
        }
        let request = Task { try await bus.request(SlowQuery(), timeout: .seconds(3_600)) }
        await started.wait()
        request.cancel()
        await #expect(throws: CancellationError.self) { try await request.value }
        while cancelled.count == 0 { await Task.yield() }
        #expect(cancelled.values == [true])
    }

    @Test func aResponderThatDoesNotSuspendRunsOnTheCallersExecutor() async throws {
        // Before `Task.immediate` (macOS 26 and its siblings) the responder's task starts elsewhere.
        guard #available(macOS 26, iOS 26, tvOS 26, watchOS 26, visionOS 26, *) else { return }
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        let executor = RecognisableExecutor()
        let onCallersExecutor = Collector<Bool>()
        try bus.respond(GetQuote.self) { _ in
            onCallersExecutor.append(executor.isRunningHere)
            return 1
        }
        // A task of its own started with `Task {}` would run on the global executor instead.
        let answer = try await withTaskExecutorPreference(executor) {
            try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(5))
        }
        #expect(answer == 1)
        #expect(onCallersExecutor.values == [true])
    }

    @Test func aCallerCancelledBeforeItAsksStartsNoResponder() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        let calls = Collector<String>()
        try bus.respond(GetQuote.self) { request in
            calls.append(request.symbol)
            return 1
        }
        let request = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(5))
        }
        await #expect(throws: CancellationError.self) { try await request.value }
        #expect(calls.values.isEmpty)
    }

    @Test func aResponderMayRequestInTurnAndPassesItsCorrelation() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        let outer = Collector<String>()
        let inner = Collector<String?>()
        try bus.respond(GetQuote.self) { request in
            inner.append(EventContext.current?.metadata.correlationID)
            return request.symbol.count * 100
        }
        try bus.respond(QuoteInCents.self) { request in
            outer.append(EventContext.current.map { $0.metadata.correlationID ?? $0.metadata.id.description } ?? "")
            let cents = try await bus.request(GetQuote(symbol: request.symbol), timeout: .seconds(5))
            return "\(request.symbol): \(cents) cents"
        }
        #expect(try await bus.request(QuoteInCents(symbol: "ABC"), timeout: .seconds(5)) == "ABC: 300 cents")
        #expect(outer.values.count == 1)
        #expect(inner.values == [outer.values.first])
    }

    @Test func middlewareScopedToTheRequestTypeWrapsOnlyItsResponder() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        let quotes = RecordingMiddleware()
        let others = RecordingMiddleware()
        bus.use(quotes, for: GetQuote.self)
        bus.use(others, for: SlowQuery.self)
        try bus.respond(GetQuote.self) { _ in 5 }
        try bus.respond(QuoteInCents.self) { _ in "5" }
        #expect(try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(5)) == 5)
        #expect(try await bus.request(QuoteInCents(symbol: "X"), timeout: .seconds(5)) == "5")
        #expect(quotes.invocations.map(\.invocation.eventName) == [GetQuote.eventName])
        #expect(quotes.invocations.map(\.invocation.strategy) == [.requestReply])
        #expect(others.invocations.isEmpty)
    }
}

/// Runs its jobs on a serial dispatch queue and knows which thread is running one of them.
private final class RecognisableExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "RecognisableExecutor")
    private let running = Locked<UInt?>(nil)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async {
            self.running.withLock { $0 = currentThread() }
            job.runSynchronously(on: self.asUnownedTaskExecutor())
            self.running.withLock { $0 = nil }
        }
    }

    /// Whether the calling thread is running one of this executor's jobs.
    var isRunningHere: Bool { running.withLock { $0 } == currentThread() }
}

/// The calling thread, as a number.
private func currentThread() -> UInt {
    #if canImport(Glibc)
        UInt(pthread_self())
    #else
        UInt(bitPattern: pthread_self())
    #endif
}
