import EventBus
import EventLog
import EventQueue

/// A running bus as its dashboard shows it: every queue of `Bus.metrics()` with its
/// kind, rates, latency and forecast; dead letters by mailbox name; and the bus's own operations
/// for the actions.
///
/// | kind | actions |
/// |---|---|
/// | durable mailbox | requeue, purge (`Bus.purgeMailbox(named:)`), remove (`Bus.removeMailbox(named:)`) |
/// | consumer group | requeue, purge (removing a group is `eventbus remove --postgres`: stop its consumers first) |
/// | in-memory mailbox, point-to-point queue | requeue |
/// | callback, scheduler | none |
public struct BusDashboardSource: DashboardSource {
    /// The bus.
    public let bus: Bus

    /// The dashboard's view of `bus`.
    public init(_ bus: Bus) {
        self.bus = bus
    }

    /// Live: rates, latencies, forecasts and charts.
    public var kind: DashboardSourceKind { .live }

    /// Nothing to say.
    public var notice: String? { nil }

    /// Every queue of the bus, in the order of its metrics.
    public func mailboxes() async throws -> [MailboxSnapshot] {
        bus.metricsByKind().map { Self.snapshot($0.metrics, kind: $0.kind) }
    }

    /// A queue's metrics as the dashboard shows them.
    static func snapshot(_ metrics: QueueMetrics, kind: QueueKind) -> MailboxSnapshot {
        let shown: MailboxKind
        let actions: [DashboardActionKind]
        switch kind {
        case .durable:
            shown = .durable
            actions = [.requeue, .purge, .remove]
        case .group:
            shown = .group
            actions = [.requeue, .purge]
        case .memory:
            shown = .memory
            actions = [.requeue]
        case .pointToPoint:
            shown = .queue
            actions = [.requeue]
        case .callback:
            shown = .callback
            actions = []
        case .scheduler:
            shown = .scheduler
            actions = []
        }
        var mailbox = MailboxSnapshot(
            name: metrics.name,
            kind: shown,
            depth: metrics.depth,
            inFlight: metrics.inFlight,
            delayed: metrics.delayed,
            deadLetters: metrics.deadLetters,
            actions: actions
        )
        mailbox.capacity = metrics.capacity
        mailbox.arrivalRate = metrics.arrivalRate
        mailbox.consumeRate = metrics.consumeRate
        if metrics.latency.count > 0 {
            mailbox.latencyP50 = seconds(metrics.latency.p50)
            mailbox.latencyP99 = seconds(metrics.latency.p99)
        }
        mailbox.deadLettered = metrics.deadLettered
        mailbox.forecast = ForecastSnapshot(metrics.forecast)
        mailbox.recovery = metrics.recovery.map(RecoverySnapshot.init)
        return mailbox
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// The dead letters of the mailbox named `mailbox`, through the bus's dead-letter API by
    /// name (`Bus.deadLetters(ofMailboxNamed:limit:)`); none for a queue that keeps none to show.
    public func deadLetters(of mailbox: String, limit: Int, bodies: Bool) async throws -> [DeadLetterSnapshot] {
        do {
            return try await bus.deadLetters(ofMailboxNamed: mailbox, limit: limit).map {
                DeadLetterSnapshot($0, showingBody: bodies)
            }
        } catch BusError.noSuchMailbox {
            return []
        }
    }

    /// Requeues (`Bus.requeueDeadLetters(ofMailboxNamed:ids:)`), purges or removes through the bus.
    public func perform(_ action: DashboardAction) async throws -> String {
        switch action {
        case .requeue(let name, let ids):
            let wanted = try DashboardAction.eventIDs(ids, of: name)
            let count = try await bus.requeueDeadLetters(ofMailboxNamed: name, ids: wanted)
            return "requeued \(count) dead letter\(count == 1 ? "" : "s") of \(name)"
        case .purge(let name):
            return "purged \(name): deleted \(try await bus.purgeMailbox(named: name))"
        case .remove(let name):
            try bus.removeMailbox(named: name)
            return "removed \(name) and everything it stored"
        }
    }
}

extension Dashboard {
    /// A dashboard of `bus` (``BusDashboardSource``).
    public convenience init(bus: Bus, options: DashboardOptions = DashboardOptions()) {
        self.init(source: BusDashboardSource(bus), options: options)
    }
}
