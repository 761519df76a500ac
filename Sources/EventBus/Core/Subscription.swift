import EventLog
import EventQueue

/// A live subscription. Cancel it to stop receiving events (`off`); cancelling twice is harmless.
///
/// Dropping the value does *not* cancel: a subscription lives until cancelled, until its
/// handler actor is deallocated (observers), until its consuming task ends (mailboxes), or
/// until the bus shuts down.
public struct Subscription: Sendable, Hashable, CustomStringConvertible {
    let ids: [UInt64]
    let router: Router
    /// The strategy it uses.
    public let strategy: Strategy

    init(ids: [UInt64], router: Router, strategy: Strategy) {
        self.ids = ids
        self.router = router
        self.strategy = strategy
    }

    /// Stops delivery to this subscription; a mailbox or callback queue is closed and its
    /// consumer ends after the events already queued.
    public func cancel() {
        router.remove(ids)
    }

    /// Whether the subscription still receives events.
    public var isActive: Bool { ids.contains { router.contains($0) } }

    /// "observer #1", "callback #4 #5".
    public var description: String {
        "\(strategy) " + ids.map { "#\($0)" }.joined(separator: " ")
    }

    /// Equal when they are the same subscription.
    public static func == (lhs: Subscription, rhs: Subscription) -> Bool {
        lhs.ids == rhs.ids && lhs.router === rhs.router
    }

    /// Hashes the ids.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ids)
    }
}
