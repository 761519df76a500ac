import EventBus
import Foundation

/// How `eventbus dump` shows a stored dead letter's body and reason, local or PostgreSQL.
enum DeadLetterRows {
    /// The body as text when it is printable UTF-8, else as hex; at most 60 characters. An
    /// encrypted body is shown as such (its key and size), never as bytes.
    static func preview(body: [UInt8], codecID: String?) -> String {
        if let codecID, EncryptedBodies.isEncrypted(codecID: codecID) {
            return EncryptedBodies.describe(body)
        }
        return MailboxTools.preview(body)
    }

    /// The rows of dead letters: id, event, version, codec, attempts, reason, body.
    static func rows(_ letters: [StoredDeadLetter], open: BodyOpener.Open?) -> [[String]] {
        var rows = [["id", "event", "version", "codec", "attempts", "reason", "body"]]
        for letter in letters {
            rows.append([
                letter.id.description, PostgresTools.cell(letter.eventName), String(letter.schemaVersion),
                PostgresTools.cell(letter.codecID), String(letter.attempts),
                PostgresTools.cell(clipped(letter.reason.description)),
                PostgresTools.cell(
                    open?(letter.body, letter.info) ?? preview(body: letter.body, codecID: letter.codecID)
                ),
            ])
        }
        return rows
    }

    /// At most 80 characters.
    static func clipped(_ text: String) -> String {
        text.count > 80 ? String(text.prefix(77)) + "..." : text
    }
}
