import EventQueue
import Synchronization

/// What ``Bus/shutdown(draining:)`` achieved.
public struct ShutdownReport: Sendable, Hashable {
    /// Every queue drained and every consumer finished before the deadline.
    public var drained: Bool
    /// Events still queued (ready, delayed or in flight) when the deadline passed; in-memory
    /// ones are gone, durable ones stay on disk.
    public var abandoned: Int
}

extension Bus {
    /// Shuts the bus down.
    ///
    /// At once: `publish`, `send`, `request` and new subscriptions throw ``BusError/shutDown``;
    /// every queue stops accepting events. Then mailboxes, callbacks and point-to-point consumers
    /// keep handling what they hold until it is drained or `deadline` has passed on the bus's
    /// clock; after that every queue is terminated and every consumer task ends. Calling it
    /// again returns the first report.
    @discardableResult
    public func shutdown(draining deadline: Duration = .seconds(5)) async -> ShutdownReport {
        let first = services.state.withLock { state -> Bool in
            if state.shutdown != nil { return false }
            state.shutdown = ShutdownReport(drained: false, abandoned: 0)
            return true
        }
        guard first else {
            await services.finished()
            return services.state.withLock { $0.shutdown ?? ShutdownReport(drained: true, abandoned: 0) }
        }
        let records = router.shutDown()
        let channels = services.state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close() }
        let registered = registry.all
        for entry in registered { entry.queue.close() }
        _ = records

        let clock = self.clock
        let until = clock.now + deadline
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for entry in registered {
                    await entry.queue.waitUntilDrained()
                }
                for entry in registered {
                    await entry.consumer?.value
                }
                return true
            }
            group.addTask {
                try? await clock.sleep(until: until)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        var abandoned = 0
        for entry in registered {
            let metrics = entry.queue.metrics()
            abandoned += metrics.depth + metrics.delayed + metrics.inFlight
            entry.queue.terminate()
            entry.consumer?.cancel()
        }
        for record in records { record.onCancel?() }
        let report = ShutdownReport(drained: drained && abandoned == 0, abandoned: abandoned)
        services.state.withLock { $0.shutdown = report }
        services.markFinished()
        return report
    }

    /// Whether ``shutdown(draining:)`` has begun.
    public var isShutDown: Bool { router.isShutDown }

    /// Waits until nothing on the bus can progress without the clock moving: every mailbox,
    /// callback queue and point-to-point queue is empty and its handler idle, and no delayed
    /// event is due. Tests call it after publishing to callbacks and mailboxes.
    public func waitUntilIdle() async {
        while !Task.isCancelled {
            let queues = allQueues()
            for queue in queues { await queue.waitUntilIdle() }
            // Handlers may have published into a queue already passed: stop after a quiet pass.
            if allQueues().allSatisfy(\.isIdle) { return }
        }
    }

    func allQueues() -> [any ManagedQueue] {
        registry.all.map(\.queue) + services.state.withLock { state in state.channels.values.flatMap(\.allQueues) }
    }
}
