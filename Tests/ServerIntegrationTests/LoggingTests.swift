#if LoggingSupport
    import EventBus
    import Foundation
    import InMemoryLogging
    import Logging
    import Testing

    @Suite struct LoggingTests {
        /// A bus logging into memory at `level`, and the handler that keeps the entries.
        func bus(level: Logger.Level) -> (Bus, InMemoryLogHandler) {
            let handler = InMemoryLogHandler()
            var logger = Logger(label: "eventbus-tests") { _ in handler }
            logger.logLevel = level
            var configuration = BusConfiguration()
            configuration.logger = logger
            return (Bus(configuration: configuration), handler)
        }

        @Test func deadLettersAreLoggedAtInfoAndRetriesAtDebug() async throws {
            let (bus, log) = bus(level: .debug)
            let consumer = try await bus.consume(Ping.self, retry: .immediate(maxAttempts: 2)) { ping in
                throw Refused(number: ping.number)
            }
            let report = try await bus.publish(Ping(number: 7))
            await bus.waitUntilIdle()
            await bus.shutdown()
            let failures = log.entries.filter { $0.metadata["eventbus.event.id"] == "\(report.eventID)" }
            let retried = try #require(failures.first { $0.message.description == "event handler failed" })
            #expect(retried.level == .debug)
            #expect(retried.metadata["eventbus.attempt"] == "1")
            #expect(retried.metadata["eventbus.event.name"] == "\(Ping.eventName)")
            let dead = try #require(
                failures.first { $0.message.description == "event dead-lettered after its last attempt" }
            )
            #expect(dead.level == .info)
            #expect(dead.metadata["eventbus.attempt"] == "2")
            #expect(dead.metadata["error.type"] == "Refused")
            #expect(dead.metadata["eventbus.mailbox"] == "\(consumer.mailbox)")
            #expect(retried.metadata["eventbus.mailbox"] == "\(consumer.mailbox)")
        }

        @Test func aSubscribersLastNackIsLoggedOnceAsADeadLetterAtInfo() async throws {
            let (bus, log) = bus(level: .info)
            let deliveries = try await bus.subscribe(
                Ping.self,
                mailbox: .memory(name: "pings"),
                acknowledgement: .manual(visibilityTimeout: nil),
                retry: .immediate(maxAttempts: 2)
            )
            let report = try await bus.publish(Ping(number: 3))
            var iterator = deliveries.makeAsyncIterator()
            for _ in 0..<2 { try await iterator.next()?.nack(reason: "no thanks") }
            await bus.shutdown()
            let dead = log.entries.filter { $0.message.description == "event dead-lettered after its last attempt" }
            #expect(dead.count == 1)
            #expect(dead.first?.level == .info)
            #expect(dead.first?.metadata["eventbus.event.id"] == "\(report.eventID)")
            #expect(dead.first?.metadata["eventbus.mailbox"] == "pings")
            #expect(dead.first?.metadata["eventbus.attempt"] == "2")
            #expect(dead.first?.metadata["eventbus.dead_letter.reason"] == "no thanks")
        }

        @Test func aConsumersDeadLetterIsLoggedOnce() async throws {
            let (bus, log) = bus(level: .info)
            try await bus.consume(Ping.self, retry: .immediate(maxAttempts: 2)) { ping in
                throw Refused(number: ping.number)
            }
            try await bus.publish(Ping(number: 4))
            await bus.waitUntilIdle()
            await bus.shutdown()
            let dead = log.entries.filter { $0.message.description == "event dead-lettered after its last attempt" }
            #expect(dead.count == 1)
        }

        @Test func eachEventIsLoggedAtTraceWithItsMailboxAndAttempt() async throws {
            let (bus, log) = bus(level: .trace)
            let consumer = try await bus.consume(Ping.self) { _ in }
            let report = try await bus.publish(Ping(number: 1))
            await bus.waitUntilIdle()
            await bus.shutdown()
            let entries = log.entries.filter { $0.metadata["eventbus.event.id"] == "\(report.eventID)" }
            #expect(entries.map(\.message.description) == ["publishing event", "handling event"])
            #expect(entries.allSatisfy { $0.level == .trace })
            #expect(entries.last?.metadata["eventbus.mailbox"] == "\(consumer.mailbox)")
            #expect(entries.last?.metadata["eventbus.attempt"] == "1")
        }

        @Test func overflowDropsAreLoggedAtDebug() async throws {
            let (bus, log) = bus(level: .debug)
            let deliveries = try await bus.subscribe(Ping.self, mailbox: .memory(.bounded(1, overflow: .dropNewest)))
            try await bus.publish(Ping(number: 1))
            let dropped = try await bus.publish(Ping(number: 2))
            #expect(dropped.dropped == 1)
            let entry = try #require(log.entries.first { $0.message.description == "mailbox overflow dropped events" })
            #expect(entry.level == .debug)
            #expect(entry.metadata["eventbus.event.id"] == "\(dropped.eventID)")
            deliveries.cancel()
            await bus.shutdown()
        }

        @Test func atInfoNothingPerEventIsLogged() async throws {
            let (bus, log) = bus(level: .info)
            try await bus.consume(Ping.self) { _ in }
            try await bus.publish(Ping(number: 1))
            await bus.waitUntilIdle()
            await bus.shutdown()
            #expect(log.entries.isEmpty)
        }

        @Test func aDurableMailboxLogsWhatItRecoveredAtInfo() async throws {
            let directory = try scratchDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "orders", directory: directory)
            do {
                let bus = Bus()
                let deliveries = try await bus.subscribe(Ping.self, mailbox: mailbox)
                try await bus.publish(Ping(number: 1))
                try await bus.publish(Ping(number: 2))
                deliveries.cancel()
                await bus.shutdown(draining: .zero)
            }
            let (bus, log) = bus(level: .info)
            let deliveries = try await bus.subscribe(Ping.self, mailbox: mailbox)
            let entry = try #require(log.entries.first { $0.message.description == "durable mailbox recovered" })
            #expect(entry.level == .info)
            #expect(entry.metadata["eventbus.mailbox"] == "orders")
            #expect(entry.metadata["eventbus.recovery.pending"] == "2")
            deliveries.cancel()
            await bus.shutdown(draining: .zero)
        }
    }
#endif
