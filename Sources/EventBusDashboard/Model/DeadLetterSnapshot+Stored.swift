import EventBus
import Foundation

extension DeadLetterSnapshot {
    /// A dead letter of the bus's dead-letter API as the dashboard shows it: its body only when
    /// `showingBody` (and then as text, or hex; an encrypted body is described, not shown).
    public init(_ letter: StoredDeadLetter, showingBody: Bool) {
        self.init(
            id: letter.id.description,
            eventName: letter.eventName.isEmpty ? nil : letter.eventName,
            reason: DeadLetterReasonSnapshot(letter.reason),
            attempts: letter.attempts,
            crashes: letter.crashes,
            deadLetteredAt: DashboardFormat.timestamp(letter.deadLetteredAt),
            body: showingBody ? Self.body(of: letter) : nil
        )
        schemaVersion = letter.schemaVersion
        codecID = letter.codecID
    }

    /// The codecs whose bodies are the event as it is (not encrypted).
    static let plainCodecs: Set<String> = ["json", "data", "text"]

    /// The body as text or hex; for another codec (an encrypting one) only its id and size.
    static func body(of letter: StoredDeadLetter) -> String {
        guard plainCodecs.contains(letter.codecID) else {
            return "(\(letter.codecID): \(letter.body.count) bytes, not shown)"
        }
        return DashboardFormat.body(letter.body)
    }
}

extension DeadLetterReasonSnapshot {
    /// The page's form of `reason`: its case as `kind`, its sentence as `text`.
    public init(_ reason: DeadLetterReason) {
        let kind =
            switch reason {
            case .handlerFailed: "handlerFailed"
            case .undecodable: "undecodable"
            case .unknownVersion: "unknownVersion"
            case .undecryptable: "undecryptable"
            }
        self.init(kind: kind, text: reason.description)
    }

    /// A reason a store keeps as text (a PostgreSQL group's column), read into its case.
    public init(storedText text: String) {
        self.init(DeadLetterReason(storedText: text))
    }
}
