/// Why ``Bus/purgeMailbox(_:)`` refused a mailbox: only durable mailboxes have a store to
/// purge (an in-memory mailbox's events go with its subscription).
struct DurableOnly: Error, CustomStringConvertible {
    let mailbox: String

    var description: String {
        "\(mailbox) is an in-memory mailbox: only durable mailboxes and consumer groups are purged"
    }
}
