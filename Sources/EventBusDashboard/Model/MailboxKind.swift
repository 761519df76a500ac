/// What kind of queue a ``MailboxSnapshot`` is.
public enum MailboxKind: String, Sendable, Hashable, Codable {
    /// A durable mailbox in a directory.
    case durable
    /// A consumer group on PostgreSQL.
    case group
    /// An in-memory mailbox (`subscribe`, `consume`).
    case memory
    /// A callback's queue (`on`).
    case callback
    /// A point-to-point queue (`send`, `receive`).
    case queue
    /// The scheduler of delayed publishes.
    case scheduler
}
