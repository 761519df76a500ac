/// What the dashboard shows, at one moment: the document its page reads every couple of seconds
/// (`GET <mount>/snapshot.json`), and what your own monitoring can poll.
///
/// The JSON is documented in Documentation/RunningInAServer.md ("The dashboard"). Fields that
/// the source cannot know are absent (`null`): a dashboard over mailbox files has no rates.
public struct DashboardSnapshot: Sendable, Hashable, Codable {
    /// The document's format; 1 for this one. A field is only ever added within a version.
    public var version: Int
    /// When it was taken, ISO 8601 in UTC (`2026-12-06T07:01:02Z`).
    public var generatedAt: String
    /// Where the numbers come from.
    public var source: DashboardSourceKind
    /// What the page says above the table about its source (for example, that the live rates come
    /// from the dashboard mounted in the application), if anything.
    public var notice: String?
    /// Whether the requester may act (requeue, purge, remove).
    public var canAct: Bool
    /// Whether dead letters carry their bodies (off unless the application enables it).
    public var bodiesShown: Bool
    /// Seconds between two samples of the charts.
    public var sampleInterval: Double
    /// Seconds of the past a chart shows (its forecast goes a third of that forward).
    public var chartWindow: Double
    /// Every mailbox, queue and consumer group, in the source's order.
    public var mailboxes: [MailboxSnapshot]

    /// A snapshot of `mailboxes`.
    public init(
        generatedAt: String,
        source: DashboardSourceKind,
        notice: String? = nil,
        canAct: Bool = false,
        bodiesShown: Bool = false,
        sampleInterval: Double,
        chartWindow: Double = 0,
        mailboxes: [MailboxSnapshot]
    ) {
        self.version = 1
        self.generatedAt = generatedAt
        self.source = source
        self.notice = notice
        self.canAct = canAct
        self.bodiesShown = bodiesShown
        self.sampleInterval = sampleInterval
        self.chartWindow = chartWindow
        self.mailboxes = mailboxes
    }
}
