import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Testing

@testable import EventBus

@Suite struct DeadlinesTests {
    /// Waits until `count` tasks sleep on the clock (a sleeper arms itself in a task of its own).
    func sleepers(_ count: Int, on clock: ManualClock) async {
        while clock.sleeperCount < count { await Task.yield() }
    }

    @Test func deadlinesFireInOrderAndNeverEarly() async {
        let clock = ManualClock()
        let deadlines = Deadlines(clock: clock)
        let fired = Collector<Int>()
        _ = deadlines.schedule(after: .seconds(30)) { fired.append(30) }
        _ = deadlines.schedule(after: .seconds(20)) { fired.append(20) }  // earlier than the sleeper's
        _ = deadlines.schedule(after: .seconds(40)) { fired.append(40) }
        await sleepers(1, on: clock)
        clock.advance(by: .seconds(19))
        #expect(fired.values.isEmpty)
        clock.advance(by: .seconds(1))
        while fired.count < 1 { await Task.yield() }
        #expect(fired.values == [20])
        await sleepers(1, on: clock)  // asleep again, until 30
        clock.advance(by: .seconds(15))
        while fired.count < 2 { await Task.yield() }
        #expect(fired.values == [20, 30])
        await sleepers(1, on: clock)
        clock.advance(by: .seconds(5))
        while fired.count < 3 { await Task.yield() }
        #expect(fired.values == [20, 30, 40])
        #expect(deadlines.pending == 0)
    }

    @Test func anEarlierDeadlineReplacesTheSleeperInsteadOfAddingOne() async {
        let clock = ManualClock()
        let deadlines = Deadlines(clock: clock)
        let fired = Collector<Int>()
        let long = deadlines.schedule(after: .seconds(3_600)) { fired.append(3_600) }
        await sleepers(1, on: clock)
        for round in 1...20 {
            // Each short deadline is earlier than the hour the sleeper waits for.
            let short = deadlines.schedule(after: .seconds(1)) { fired.append(round) }
            if round.isMultiple(of: 2) {
                deadlines.cancel(short)
            } else {
                clock.advance(by: .seconds(1))
                while fired.count < (round + 1) / 2 { await Task.yield() }
            }
            await Task.yield()
            #expect(clock.sleeperCount <= 1)
        }
        #expect(fired.values == Array(stride(from: 1, through: 19, by: 2)))
        #expect(deadlines.pending == 1)  // the hour: the even rounds were cancelled, the odd ones fired
        deadlines.cancel(long)
        #expect(deadlines.pending == 0)
    }

    @Test func aCancelledDeadlineNeverFiresAndTheRestStillDo() async {
        let clock = ManualClock()
        let deadlines = Deadlines(clock: clock)
        let fired = Collector<Int>()
        var tokens: [UInt64] = []
        // Enough cancellations to make the heap rebuild itself from the live deadlines.
        for second in 1...3_000 {
            let token = deadlines.schedule(after: .seconds(second)) { fired.append(second) }
            tokens.append(token)
        }
        for (index, token) in tokens.enumerated() where index % 1_000 != 999 { deadlines.cancel(token) }
        #expect(deadlines.pending == 3)
        await sleepers(1, on: clock)
        clock.advance(by: .seconds(3_000))
        while fired.count < 3 { await Task.yield() }
        #expect(fired.values == [1_000, 2_000, 3_000])
        #expect(deadlines.pending == 0)
    }

    @Test func answeredRequestsLeaveNoDeadlineAndShareOneSleeper() async throws {
        let clock = ManualClock()
        let bus = Bus(configuration: BusConfiguration(clock: clock))
        try bus.respond(GetQuote.self) { quote in quote.symbol.count }
        for index in 0..<100 {
            #expect(
                try await bus.request(GetQuote(symbol: String(repeating: "x", count: index)), timeout: .seconds(5))
                    == index
            )
        }
        #expect(bus.deadlines.pending == 0)
        await sleepers(1, on: clock)
        #expect(clock.sleeperCount == 1)  // not a timer per request
    }
}
