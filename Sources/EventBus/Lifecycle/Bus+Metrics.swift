import EventLog
import EventQueue

/// Metrics of every queue on the bus, and their sum.
public struct BusMetrics: Sendable {
    /// One entry per mailbox, callback queue, point-to-point queue and the scheduler.
    public var queues: [QueueMetrics]
    /// The bus's own counters.
    public var statistics: BusStatistics

    /// Every queue added together (depth, counters, rates; the largest latency quantiles).
    public var total: QueueMetrics {
        var total = QueueMetrics(name: "total")
        for queue in queues { total.absorb(queue) }
        return total
    }
}

extension Bus {
    /// Depth, in-flight, counters, arrival and consume rates, latency quantiles and the
    /// drain forecast of every queue on the bus.
    public func metrics() -> BusMetrics {
        BusMetrics(queues: allQueues().map { $0.metrics() }, statistics: statistics())
    }

    /// The metrics of every queue with what it is, in the order of ``metrics()``.
    package func metricsByKind() -> [(metrics: QueueMetrics, kind: QueueKind)] {
        registry.all.map { ($0.queue.metrics(), $0.kind) }
            + registrations.state.withLock { state in state.channels.values.map(\.backlogQueue) }.map {
                ($0.metrics(), .pointToPoint)
            }
    }

    /// What each durable mailbox of the bus found and repaired when it opened, by mailbox name:
    /// records recovered, torn bytes cut, corrupt ranges quarantined and where, events to be
    /// delivered again, deliveries a crash cut off. The same report is in each mailbox's
    /// ``QueueMetrics/recovery``.
    public func recoveryReports() -> [String: RecoveryReport] {
        var reports: [String: RecoveryReport] = [:]
        for queue in allQueues() {
            if let report = queue.recoveryReport { reports[queue.name] = report }
        }
        return reports
    }
}
