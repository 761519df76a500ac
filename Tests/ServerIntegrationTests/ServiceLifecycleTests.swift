#if ServiceLifecycleSupport
    import EventBus
    import Foundation
    import Logging
    import ServiceLifecycle
    import ServiceLifecycleTestKit
    import Testing

    /// A service that publishes one last event while it shuts down, as an HTTP server finishing its
    /// last request would: the bus, earlier in the group, must still take it and then deliver it.
    struct LastWordsServer: Service {
        let bus: Bus
        let started: Signals

        func run() async throws {
            started.send("serving")
            try? await gracefulShutdown()
            try await bus.publish(Ping(number: 99))
        }
    }

    @Suite struct ServiceLifecycleTests {
        let silent = Logger(label: "tests") { _ in SwiftLogNoOpLogHandler() }

        @Test func aGracefulShutdownStopsNewWorkAndDrainsWhatIsQueued() async throws {
            let bus = Bus()
            let handled = Seen<Int>()
            try await bus.consume(Ping.self) { ping in
                try await Task.sleep(for: .milliseconds(20))
                handled.append(ping.number)
            }
            try await testGracefulShutdown { trigger in
                let running = Task { try await bus.run() }
                for number in 0..<5 { try await bus.publish(Ping(number: number)) }
                trigger.triggerGracefulShutdown()
                try await running.value
            }
            #expect(handled.values == [0, 1, 2, 3, 4])
            #expect(bus.isShutDown)
            await #expect(throws: BusError.self) { try await bus.publish(Ping(number: 5)) }
            #expect(await bus.shutdown().drained)
        }

        @Test func cancellationStopsAtOnceAndLeavesUnacknowledgedDurableEventsStored() async throws {
            let directory = try scratchDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "orders", directory: directory)
            let signals = Signals()
            let cancelled = Seen<Int>()
            do {
                var configuration = BusConfiguration()
                configuration.gracefulShutdownDeadline = .seconds(3600)
                let bus = Bus(configuration: configuration)
                try await bus.consume(Ping.self, mailbox: mailbox) { ping in
                    signals.send("started \(ping.number)")
                    do {
                        try await Task.sleep(for: .seconds(3600))
                    } catch {
                        cancelled.append(ping.number)
                        signals.send("cancelled \(ping.number)")
                        throw error
                    }
                }
                for number in 0..<3 { try await bus.publish(Ping(number: number)) }
                let running = Task { try await bus.run() }
                await signals.wait(for: "started 0")
                running.cancel()
                try await running.value
                await signals.wait(for: "cancelled 0")
                #expect(cancelled.values == [0])
                #expect(bus.isShutDown)
            }
            let bus = Bus()
            let again = Seen<Int>()
            try await bus.consume(Ping.self, mailbox: mailbox) { ping in again.append(ping.number) }
            await bus.waitUntilIdle()
            #expect(again.values.count == 3)
            #expect(Set(again.values) == [0, 1, 2])
            await bus.shutdown()
        }

        @Test func inAGroupTheServerAfterTheBusStopsFirstAndTheBusDeliversItsLastEvent() async throws {
            let bus = Bus()
            let handled = Seen<Int>()
            try await bus.consume(Ping.self) { ping in handled.append(ping.number) }
            let started = Signals()
            let group = ServiceGroup(
                services: [bus, LastWordsServer(bus: bus, started: started)],
                logger: silent
            )
            let running = Task { try await group.run() }
            await started.wait(for: "serving")
            await group.triggerGracefulShutdown()
            try await running.value
            #expect(handled.values == [99])
            #expect(bus.isShutDown)
        }

        /// A real SIGTERM to a child process that runs the bus in a `ServiceGroup`: the handlers that
        /// had started finish, the process exits by itself, and the next start delivers exactly the
        /// events that were not acknowledged.
        @Test func sigtermDrainsAChildProcessAndTheNextStartGetsTheRest() async throws {
            let executable = try #require(Self.gracefulShutdownExecutable(), "GracefulShutdown was not built")
            let directory = try scratchDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let events = 200

            let serve = ChildProcess(executable, ["serve", directory, "\(events)", "100", "3000"])
            try serve.start(terminatingAfter: ["serving", "started 1"])
            let status = await serve.exit()
            let atSignal = try #require(serve.linesAtTermination, "no SIGTERM was sent: \(serve.lines.suffix(5))")
            let startedBeforeSignal = Set(atSignal.compactMap { Self.number($0, after: "started ") })
            let lines = serve.lines
            #expect(status == 0, "serve: \(lines.suffix(5))")
            #expect(lines.contains { $0.hasPrefix("stopped ") })
            let finished = Set(lines.compactMap { Self.number($0, after: "finished ") })
            #expect(startedBeforeSignal.isSubset(of: finished), "a handler in progress at SIGTERM did not finish")
            #expect(finished.count < events, "the drain deadline should leave events for the next start")

            let recover = ChildProcess(executable, ["recover", directory])
            try recover.start()
            #expect(await recover.exit() == 0)
            let redelivered = Set(recover.lines.compactMap { Self.number($0, after: "redelivered ") })
            #expect(recover.lines.last == "recovered")
            #expect(finished.union(redelivered) == Set(0..<events), "an unacknowledged event was lost")
            // Acknowledged events are not delivered again (at most the one acknowledged as the drain ended).
            #expect(finished.intersection(redelivered).count <= 1)
        }

        static func number(_ line: String, after prefix: String) -> Int? {
            line.hasPrefix(prefix) ? Int(line.dropFirst(prefix.count)) : nil
        }

        /// The example executable, built beside this test binary.
        static func gracefulShutdownExecutable() -> String? {
            let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            var directory = me.deletingLastPathComponent()
            // On macOS the test binary sits inside a bundle: Foo.xctest/Contents/MacOS/Foo.
            for _ in 0..<4 {
                let candidate = directory.appendingPathComponent("GracefulShutdown").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                directory = directory.deletingLastPathComponent()
            }
            return nil
        }
    }
#endif
