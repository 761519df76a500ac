/// Why an event became a dead letter, as the page shows it.
public struct DeadLetterReasonSnapshot: Sendable, Hashable, Codable {
    /// `handlerFailed`, `undecodable`, `unknownVersion`, `undecryptable`, or `other` for a reason
    /// the store keeps only as text.
    public var kind: String
    /// What the page calls `kind`: "handler failed", "undecodable", "unknown version",
    /// "undecryptable", "failed".
    public var label: String
    /// The reason in words, as the store keeps it.
    public var text: String

    /// A reason of `kind`.
    public init(kind: String, text: String) {
        self.kind = kind
        self.text = text
        self.label =
            switch kind {
            case "handlerFailed": "handler failed"
            case "undecodable": "undecodable"
            case "unknownVersion": "unknown version"
            case "undecryptable": "undecryptable"
            default: "failed"
            }
    }
}
