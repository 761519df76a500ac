/// One mailbox, queue or consumer group as the dashboard shows it.
public struct MailboxSnapshot: Sendable, Hashable, Codable, Identifiable {
    /// Its name (`QueueMetrics/name`): unique within the snapshot.
    public var name: String
    /// What it is.
    public var kind: MailboxKind
    /// Events ready for delivery now.
    public var depth: Int
    /// Events handed to a consumer and not yet settled.
    public var inFlight: Int
    /// Events waiting for their time (delayed, or backing off before a retry).
    public var delayed: Int
    /// Dead letters kept now.
    public var deadLetters: Int
    /// Events moved to the dead letters since it was opened (a requeued one that fails again
    /// counts again); nil when not known.
    public var deadLettered: UInt64?
    /// The bound, or nil when unbounded or not known.
    public var capacity: Int?
    /// Arrival rate R, events a second; nil when not known (read from files).
    public var arrivalRate: Double?
    /// Consume rate C, events a second; nil when not known.
    public var consumeRate: Double?
    /// Median enqueue-to-acknowledgement latency, in seconds; nil when not known.
    public var latencyP50: Double?
    /// 99th-percentile enqueue-to-acknowledgement latency, in seconds; nil when not known.
    public var latencyP99: Double?
    /// The queue model's prediction; nil without rates.
    public var forecast: ForecastSnapshot?
    /// What it found and repaired when it opened (durable mailboxes).
    public var recovery: RecoverySnapshot?
    /// What the source can do to it (the page offers them only to requesters allowed to act).
    public var actions: [DashboardActionKind]
    /// A remark the page shows beside it (for example that a running process holds it).
    public var note: String?
    /// The last minutes, and the forecast drawn forward; nil without samples.
    public var chart: ChartSnapshot?
    /// Its dead letters, oldest first, at most ``DashboardOptions/deadLettersShown``.
    public var deadLetterList: [DeadLetterSnapshot]
    /// The table's cells as the page writes them, by field (`depth`, `arrivalRate`, `p99`,
    /// `forecast`, …): what the page's script puts in place, so that numbers are formatted in
    /// one place.
    public var cells: [String: String]

    /// The mailbox's name.
    public var id: String { name }

    /// A mailbox with the numbers every source knows; the others start unknown.
    public init(
        name: String,
        kind: MailboxKind,
        depth: Int,
        inFlight: Int,
        delayed: Int,
        deadLetters: Int,
        actions: [DashboardActionKind] = []
    ) {
        self.name = name
        self.kind = kind
        self.depth = depth
        self.inFlight = inFlight
        self.delayed = delayed
        self.deadLetters = deadLetters
        self.actions = actions
        self.deadLetterList = []
        self.cells = [:]
    }
}
