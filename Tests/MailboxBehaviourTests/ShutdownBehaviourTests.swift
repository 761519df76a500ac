import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Synchronization
import Testing

/// `shutdown(draining:)` over every kind of mailbox (DeliveryGuarantees.md, "Shutdown").
@Suite(.timeLimit(.minutes(2)))
struct ShutdownBehaviourTests {
    /// Events published just before the shutdown are handled before it returns, and the report
    /// says so: a consumer group drains like a local mailbox.
    @Test(arguments: StoreKind.all)
    func shutdownDrainsWhatWasPublishedBeforeIt(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let bus = fixture.makeBus()
            let seen = Seen()
            try await bus.consume(Order.self, mailbox: fixture.mailbox("billing")) { order in
                seen.record(order)
            }
            for id in 1...5 { try await bus.publish(Order(id: id)) }
            // The deadline is on the manual clock, which does not move: only draining ends this.
            let report = await bus.shutdown(draining: .seconds(5))
            #expect(report.drained)
            #expect(report.abandoned == 0)
            #expect(seen.ids == [1, 2, 3, 4, 5])
        }
    }

    /// A handler that does not finish by the deadline is stopped; the report counts its event as
    /// abandoned (from the store, for a group); a durable mailbox delivers it again after a
    /// restart, as the same attempt (a shutdown is not a failed attempt), and never loses it.
    @Test(arguments: StoreKind.all)
    func aHandlerStillRunningAtTheDeadlineIsAbandonedAndADurableMailboxRedeliversIt(kind: StoreKind) async throws {
        try await StoreFixture.with(kind) { fixture in
            let started = Locked(false)
            do {
                let bus = fixture.makeBus()
                try await bus.consume(
                    Order.self,
                    mailbox: fixture.mailbox("billing"),
                    retry: .immediate(maxAttempts: 3)
                ) { _ in
                    started.withLock { $0 = true }
                    try await Task.sleep(for: .seconds(3600))
                }
                try await bus.publish(Order(id: 1))
                try await fixture.eventually { started.withLock { $0 } }
                let sleepers = fixture.clock.sleeperCount
                let shutdown = Task { await bus.shutdown(draining: .seconds(5)) }
                // The drain's deadline is armed on the manual clock; then it passes.
                try await fixture.eventually { fixture.clock.sleeperCount > sleepers }
                fixture.clock.advance(by: .seconds(5))
                let report = await shutdown.value
                #expect(!report.drained)
                #expect(report.abandoned == 1)
            }
            guard kind != .memory else { return }
            let bus = fixture.makeBus()
            let seen = Seen()
            let consumer = try await bus.consume(
                Order.self,
                mailbox: fixture.mailbox("billing"),
                retry: .immediate(maxAttempts: 3)
            ) { order in
                seen.record(order)
            }
            try await fixture.eventually { consumer.metrics().acked == 1 }
            #expect(seen.ids == [1])
            #expect(seen.attempts == [1])
            await bus.shutdown()
        }
    }
}
