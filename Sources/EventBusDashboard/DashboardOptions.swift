/// How a ``Dashboard`` behaves: who may read and act, what it shows, and how much it keeps.
public struct DashboardOptions: Sendable {
    /// The page's title.
    public var title = "EventBus"
    /// The application's authorization check: what a request may do. Without it (and without
    /// ``accessToken``) the dashboard is read-only, and only for requests from a loopback address
    /// that no proxy forwarded (``DashboardGuard/accessWithoutCheck(_:)``).
    public var authorize: (@Sendable (DashboardRequest) async -> DashboardAccess)?
    /// A secret that grants ``accessTokenGrants``: sent as `Authorization: Bearer TOKEN`, or once
    /// as `GET <mount>/login?token=TOKEN`, which sets a session cookie (HttpOnly, SameSite=Strict)
    /// and leads to the page. `eventbus dashboard` prints such a link when it starts.
    public var accessToken: String?
    /// What ``accessToken`` grants.
    public var accessTokenGrants = DashboardAccess.act
    /// Origins besides the request's own `Host` whose pages may send actions: the public origin
    /// of a dashboard behind a proxy that rewrites `Host` (`https://ops.example.com`).
    public var trustedOrigins: Set<String> = []
    /// Whether dead letters show their bodies. Off: bodies carry personal data.
    public var showBodies = false
    /// How often the charts take a sample (and the page reads the JSON).
    public var sampleInterval = Duration.seconds(2)
    /// Samples kept per mailbox: the charts show `samplesKept × sampleInterval` (6 minutes with
    /// the defaults).
    public var samplesKept = 180
    /// Mailboxes charted at most; the memory the charts take is bounded by
    /// `chartedMailboxes × samplesKept × 20` bytes.
    public var chartedMailboxes = 100
    /// Dead letters listed per mailbox (the oldest first; the count shows them all).
    public var deadLettersShown = 50

    /// The defaults: read-only from loopback, no bodies, a sample every 2 s for 6 minutes.
    public init() {}
}
