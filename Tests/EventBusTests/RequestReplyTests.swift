import EventBus
import EventBusTesting
import Testing

struct GetQuote: Request {
    typealias Response = Int
    let symbol: String
}

struct SlowQuery: Request {
    typealias Response = String
}

@Suite struct RequestReplyTests {
    @Test func theResponderAnswers() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        try bus.respond(to: GetQuote.self) { $0.symbol.count * 10 }
        #expect(try await bus.request(GetQuote(symbol: "ABC"), timeout: .seconds(5)) == 30)
    }

    @Test func noResponderIsAnImmediateError() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))
        // The manual clock never moves: a timeout-based failure would hang here.
        await #expect(throws: BusError.self) { try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(1)) }
    }

    @Test func aSecondResponderIsRefused() async throws {
        let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))  // the timeout cannot pass
        let first = try bus.respond(to: GetQuote.self) { _ in 1 }
        #expect(throws: BusError.self) { try bus.respond(to: GetQuote.self) { _ in 2 } }
        first.cancel()
        try bus.respond(to: GetQuote.self) { _ in 2 }
        #expect(try await bus.request(GetQuote(symbol: ""), timeout: .seconds(5)) == 2)
    }

    @Test func aSlowResponderTimesOut() async throws {
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        let gate = Gate()
        try bus.respond(to: SlowQuery.self) { _ in
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
        try bus.respond(to: GetQuote.self) { _ in throw Boom(code: 4) }
        await #expect(throws: Boom(code: 4)) { try await bus.request(GetQuote(symbol: "X"), timeout: .seconds(5)) }
    }

    @Test func cancellingTheCallerCancelsTheRequest() async throws {
        let bus = Bus()
        let started = Gate()
        let cancelled = Collector<Bool>()
        try bus.respond(to: SlowQuery.self) { _ in
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
}
