import EventLog
import EventQueue
import Synchronization

/// What ``Bus/shutdown(draining:)`` achieved.
public struct ShutdownReport: Sendable, Hashable {
    /// Every queue drained and every consumer finished before the deadline.
    public var drained: Bool
    /// Events still queued (ready, delayed or in flight) when the deadline passed; in-memory
    /// ones are gone, durable ones stay on disk. For a consumer group this process consumed,
    /// counted in its store at the end: the group's events that are visible, delayed, or were
    /// held by this process (those other instances hold are theirs).
    public var abandoned: Int
}

extension Bus {
    /// Shuts the bus down.
    ///
    /// At once: `publish`, `send`, `request` and new subscriptions throw ``BusError/shutDown``;
    /// every queue stops accepting events. Then mailboxes, callbacks and point-to-point consumers
    /// keep handling what they hold until it is drained or `deadline` has passed on the bus's
    /// clock; after that every queue is terminated and every consumer task ends. A consumer group
    /// (a durable mailbox in a shared store) drains the same way: this process's consumers go
    /// on claiming and handling until the group has nothing visible or delayed, then stop; at
    /// the deadline they stop and give back what they hold. Calling it again returns the first
    /// report.
    @discardableResult
    public func shutdown(draining deadline: Duration = .seconds(5)) async -> ShutdownReport {
        let first = registrations.state.withLock { state -> Bool in
            if state.shutdown != nil { return false }
            state.shutdown = ShutdownReport(drained: false, abandoned: 0)
            return true
        }
        guard first else {
            await registrations.finished()
            return registrations.state.withLock { $0.shutdown ?? ShutdownReport(drained: true, abandoned: 0) }
        }
        let records = router.shutDown()
        let channels = registrations.state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close() }
        let registered = registry.all
        for entry in registered { entry.queue.close() }

        let clock = self.clock
        let until = clock.now + deadline
        // The drain runs unstructured: a consumer stuck in a handler must not keep this call
        // waiting past the deadline (awaiting a task's value ignores cancellation).
        let race = Race<Bool>()
        let drained = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            race.start(continuation)
            race.add(
                Task {
                    for entry in registered { await entry.queue.waitUntilDrained() }
                    for entry in registered { for consumer in entry.consumers { await consumer.value } }
                    race.finish(.success(true))
                }
            )
            race.add(
                Task {
                    try? await clock.sleep(until: until)
                    race.finish(.success(false))
                }
            )
        }
        var abandoned = 0
        var groups: [(GroupMailbox, [Task<Void, Never>])] = []
        for entry in registered {
            if let group = entry.queue as? GroupMailbox {
                groups.append((group, entry.consumers))
                continue
            }
            let metrics = entry.queue.metrics()
            // What a handler the bus runs is working on is in flight too (or was acknowledged
            // and not yet reported finished): the larger of the two, never their sum.
            abandoned += metrics.depth + metrics.delayed + max(metrics.inFlight, metrics.handling)
            entry.queue.terminate(releasingInFlight: true)
            for consumer in entry.consumers { consumer.cancel() }
        }
        // A consumer group's events are in its store: stop its consumers, then count what this
        // process leaves there (within a bound, so that an unreachable store cannot hold shutdown).
        for (group, consumers) in groups {
            group.terminate(releasingInFlight: true)
            for consumer in consumers { consumer.cancel() }
        }
        for (group, _) in groups { abandoned += await group.remaining(within: .seconds(2)) }
        for record in records { record.onCancel?() }
        await link?.stop()
        let report = ShutdownReport(drained: drained && abandoned == 0, abandoned: abandoned)
        registrations.state.withLock { $0.shutdown = report }
        registrations.markFinished()
        return report
    }

    /// Whether ``shutdown(draining:)`` has begun.
    public var isShutDown: Bool { router.isShutDown }

    /// Waits until every handler the bus runs is idle: callback queues, `consume` handlers and
    /// the scheduler hold nothing that is ready, nothing is being handled, and no delayed event is
    /// already due. Mailboxes you iterate yourself are not waited for (the bus cannot know whether
    /// you mean to read them). Tests call it after publishing to callbacks and consumers.
    public func waitUntilIdle() async {
        while !Task.isCancelled {
            let queues = handledQueues()
            for queue in queues { await queue.waitUntilIdle() }
            // Handlers may have published into a queue already passed: stop after a quiet pass.
            if handledQueues().allSatisfy(\.isIdle) { return }
        }
    }

    /// The queues whose consumer is a task the bus runs.
    private func handledQueues() -> [any ManagedQueue] {
        registry.all.filter { !$0.consumers.isEmpty }.map(\.queue)
    }

    func allQueues() -> [any ManagedQueue] {
        registry.all.map(\.queue) + registrations.state.withLock { state in state.channels.values.map(\.backlogQueue) }
    }
}
