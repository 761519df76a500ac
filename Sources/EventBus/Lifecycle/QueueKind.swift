/// What one of the bus's queues is, for tools that show them by kind (the dashboard).
package enum QueueKind: Sendable, Hashable {
    /// A durable mailbox in a directory.
    case durable
    /// A consumer group in a shared store (PostgreSQL).
    case group
    /// An in-memory mailbox of `subscribe` or `consume`.
    case memory
    /// A callback's queue.
    case callback
    /// A point-to-point queue, or a channel's backlog.
    case pointToPoint
    /// The scheduler of delayed publishes.
    case scheduler
}
