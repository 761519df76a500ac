/// One dead letter as the dashboard shows it: what it is, why it died, how often it was tried.
public struct DeadLetterSnapshot: Sendable, Hashable, Codable, Identifiable {
    /// The event's id (what `requeue --ids` takes).
    public var id: String
    /// The event's name, when the store knows it.
    public var eventName: String?
    /// Why: its kind and the text.
    public var reason: DeadLetterReasonSnapshot
    /// Delivery attempts made.
    public var attempts: Int
    /// Deliveries a crash cut off.
    public var crashes: Int
    /// When it became a dead letter, ISO 8601 in UTC; nil when the store does not record it.
    public var deadLetteredAt: String?
    /// The stored body as text (or hex when it is not UTF-8), only when the application enabled
    /// bodies (``DashboardOptions/showBodies``): they carry personal data.
    public var body: String?
    /// The schema version it was stored with, when the store knows it.
    public var schemaVersion: Int?
    /// The id of the codec that wrote its body (`json`, `data`, `text`, an encrypting codec's),
    /// when the store knows it.
    public var codecID: String?

    /// A dead letter.
    public init(
        id: String,
        eventName: String?,
        reason: DeadLetterReasonSnapshot,
        attempts: Int,
        crashes: Int,
        deadLetteredAt: String? = nil,
        body: String? = nil
    ) {
        self.id = id
        self.eventName = eventName
        self.reason = reason
        self.attempts = attempts
        self.crashes = crashes
        self.deadLetteredAt = deadLetteredAt
        self.body = body
    }
}
