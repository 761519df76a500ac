#if MetricsSupport
    import CoreMetrics
    import EventBus
    import EventLog
    import MetricsTestKit
    import Testing

    /// Counts how often each metric (label and dimensions) is made, and makes it in `TestMetrics`.
    final class CountingFactory: MetricsFactory {
        let metrics = TestMetrics()
        private let made = Locked<[String: Int]>([:])

        /// How many times each metric was made, by "label dimension=value,…".
        var makes: [String: Int] { made.withLock { $0 } }

        private func count(_ label: String, _ dimensions: [(String, String)]) {
            let key = label + " " + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
            made.withLock { $0[key, default: 0] += 1 }
        }

        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
            count(label, dimensions)
            return metrics.makeCounter(label: label, dimensions: dimensions)
        }

        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            count(label, dimensions)
            return metrics.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }

        func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
            count(label, dimensions)
            return metrics.makeMeter(label: label, dimensions: dimensions)
        }

        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
            count(label, dimensions)
            return metrics.makeTimer(label: label, dimensions: dimensions)
        }

        func destroyCounter(_ handler: any CounterHandler) { metrics.destroyCounter(handler) }
        func destroyRecorder(_ handler: any RecorderHandler) { metrics.destroyRecorder(handler) }
        func destroyMeter(_ handler: any MeterHandler) { metrics.destroyMeter(handler) }
        func destroyTimer(_ handler: any TimerHandler) { metrics.destroyTimer(handler) }
    }

    @Suite struct MetricsTests {
        @Test func aConsumedMailboxReportsTheMessagingMetrics() async throws {
            let factory = CountingFactory()
            let metrics = factory.metrics
            let bus = Bus()
            let reporter = bus.reportMetrics(factory: factory)
            let consumer = try await bus.consume(Ping.self) { ping in
                if ping.number == 2 { throw Refused(number: 2) }
            }
            for number in 1...3 { try await bus.publish(Ping(number: number)) }
            await bus.waitUntilIdle()
            reporter.report()
            reporter.report()

            let name = ("messaging.destination.name", consumer.mailbox)
            let sent = try metrics.expectCounter(
                "messaging.client.sent.messages",
                [name, ("messaging.system", "eventbus")]
            )
            #expect(sent.totalValue == 3)
            let consumed = try metrics.expectCounter("messaging.client.consumed.messages", [name, ("error.type", "")])
            #expect(consumed.totalValue == 2)
            let failed = try metrics.expectCounter(
                "messaging.client.consumed.messages",
                [name, ("error.type", "Refused")]
            )
            #expect(failed.totalValue == 1)
            #expect(try metrics.expectTimer("messaging.process.duration", [name]).values.count == 3)
            #expect(try metrics.expectTimer("eventbus.queue.wait.duration", [name]).values.count == 3)
            #expect(try metrics.expectRecorder("eventbus.queue.depth", [name]).lastValue == 0)
            #expect(try metrics.expectRecorder("eventbus.queue.in_flight", [name]).lastValue == 0)
            #expect(try metrics.expectRecorder("eventbus.queue.drain.seconds", [name]).values.count == 2)
            #expect(try metrics.expectCounter("eventbus.retries", [name]).totalValue == 0)
            #expect(try metrics.expectCounter("eventbus.dead_letters", [name]).totalValue == 0)
            // Made once each, however many reports and handler calls.
            #expect(factory.makes.values.allSatisfy { $0 == 1 }, "\(factory.makes)")
            await bus.shutdown()
            reporter.cancel()
        }

        @Test func retriesDeadLettersAndDropsAreCountedWithTheOverflowPolicy() async throws {
            let factory = CountingFactory()
            let metrics = factory.metrics
            let bus = Bus()
            let reporter = bus.reportMetrics(factory: factory)
            let consumer = try await bus.consume(Ping.self, retry: .immediate(maxAttempts: 3)) { ping in
                throw Refused(number: ping.number)
            }
            let full = try await bus.subscribe(Pong.self, mailbox: .memory(.bounded(1, overflow: .dropNewest)))
            try await bus.publish(Ping(number: 1))
            for number in 1...3 { try await bus.publish(Pong(number: number)) }
            await bus.waitUntilIdle()
            reporter.report()

            let pings = ("messaging.destination.name", consumer.mailbox)
            #expect(try metrics.expectCounter("eventbus.retries", [pings]).totalValue == 2)
            #expect(try metrics.expectCounter("eventbus.dead_letters", [pings]).totalValue == 1)
            #expect(
                try metrics.expectCounter("messaging.client.consumed.messages", [pings, ("error.type", "Refused")])
                    .totalValue == 3
            )
            let pongs = ("messaging.destination.name", full.metrics().name)
            let dropped = try metrics.expectCounter(
                "eventbus.dropped",
                [pongs, ("eventbus.overflow.policy", "dropNewest")]
            )
            #expect(dropped.totalValue == 2)
            #expect(try metrics.expectRecorder("eventbus.queue.depth", [pongs]).lastValue == 1)
            full.cancel()
            await bus.shutdown()
            reporter.cancel()
        }

        /// swift-prometheus stops the process when a name comes with other dimension keys.
        @Test func everyNameIsAlwaysMadeWithTheSameDimensionKeys() async throws {
            let factory = CountingFactory()
            let bus = Bus()
            let reporter = bus.reportMetrics(factory: factory)
            try await bus.consume(Ping.self) { ping in
                if ping.number.isMultiple(of: 2) { throw Refused(number: ping.number) }
            }
            try bus.on(Pong.self) { _ in }
            for number in 1...4 {
                try await bus.publish(Ping(number: number))
                try await bus.publish(Pong(number: number))
            }
            await bus.waitUntilIdle()
            reporter.report()
            var keys: [String: Set<[String]>] = [:]
            for made in factory.makes.keys {
                let parts = made.split(separator: " ", maxSplits: 1)
                let dimensionKeys =
                    parts.count < 2 ? [] : parts[1].split(separator: ",").map { String($0.prefix { $0 != "=" }) }
                keys[String(parts[0]), default: []].insert(dimensionKeys)
            }
            #expect(keys.count == 10)
            #expect(keys.values.allSatisfy { $0.count == 1 }, "\(keys)")
            await bus.shutdown()
            reporter.cancel()
        }
    }
#endif
