import EventLog
import EventQueue
import Foundation

/// A consumer the bus runs: what ``Bus/consume(_:mailbox:retry:deadLetter:dedup:codec:handler:)``
/// and ``Bus/consume(_:from:mailbox:retry:deadLetter:handler:)`` return.
///
/// It is a handle, not a sequence — the bus iterates the mailbox and calls the handler; iterate
/// ``Bus/subscribe(_:mailbox:acknowledgement:retry:deadLetter:dedup:codec:)`` instead to take
/// deliveries yourself. Dropping the handle does not stop the consumer; ``cancel()`` does.
public struct Consumer<E: Sendable>: Sendable {
    /// What it consumes: a mailbox or queue of this process, or a consumer group in a shared store.
    enum Source: Sendable {
        case queue(Deliveries<E>)
        case group(GroupMailbox, Subscription, decode: @Sendable ([UInt8], EventID) throws -> Envelope<E>)
    }

    let source: Source
    let task: Task<Void, Never>

    init(deliveries: Deliveries<E>, task: Task<Void, Never>) {
        self.source = .queue(deliveries)
        self.task = task
    }

    init(
        group: GroupMailbox,
        subscription: Subscription,
        decode: @escaping @Sendable ([UInt8], EventID) throws -> Envelope<E>,
        task: Task<Void, Never>
    ) {
        self.source = .group(group, subscription, decode: decode)
        self.task = task
    }

    /// The name of the mailbox or queue it consumes, as metrics and errors give it.
    public var mailbox: String {
        switch source {
        case .queue(let deliveries): deliveries.queue.name
        case .group(let group, _, _): group.name
        }
    }

    /// The consumer's subscription.
    public var subscription: Subscription {
        switch source {
        case .queue(let deliveries): deliveries.subscription
        case .group(_, let subscription, _): subscription
        }
    }

    /// Stops the consumer after the delivery it is handling. An in-memory mailbox is closed; a
    /// durable mailbox goes on storing events for the next consumer (a consumer group gives back
    /// the events it claimed and did not handle).
    public func cancel() {
        switch source {
        case .queue(let deliveries): deliveries.cancel()
        case .group(_, let subscription, _): subscription.cancel()
        }
        task.cancel()
    }

    /// Depth, counters, rates and latency of the mailbox. For a consumer group: what this process
    /// delivered, acknowledged, retried and dead-lettered (the depth is in the store).
    public func metrics() -> QueueMetrics {
        switch source {
        case .queue(let deliveries): deliveries.metrics()
        case .group(let group, _, _): group.metrics()
        }
    }

    /// Events that exhausted their attempts, oldest first. A consumer group's are read from its
    /// store: those of its event type that decode. Every dead letter, whatever its type — a
    /// record of another type, a newer version, a missing key — is in
    /// ``Bus/deadLetters(of:limit:)``.
    /// - Throws: ``BusError/mailboxUnavailable(name:reason:)`` when a consumer group's store
    ///   cannot be read.
    public func deadLetters() async throws -> [DeadLetter<Envelope<E>>] {
        switch source {
        case .queue(let deliveries):
            return deliveries.deadLetters()
        case .group(let group, _, let decode):
            let stored: [GroupDeadLetter]
            do {
                stored = try await group.store.deadLetters(group: group.name, limit: nil)
            } catch {
                throw BusError.mailboxUnavailable(name: group.name, reason: StoreFailure(group.store.failure(error)))
            }
            let now = (wall: Date(), clock: ContinuousClock.now)
            return stored.compactMap { letter -> DeadLetter<Envelope<E>>? in
                let id = EventID(letter.id) ?? EventID(high: 0, low: 0)
                guard letter.eventName == group.eventName, let envelope = try? decode(letter.body, id) else {
                    return nil
                }
                return DeadLetter(
                    element: envelope,
                    id: id,
                    priority: letter.priority,
                    attempts: letter.attempts,
                    reason: letter.reason,
                    deadLetteredAt: now.clock - .seconds(max(0, now.wall.timeIntervalSince(letter.deadAt)))
                )
            }
        }
    }

    /// Puts dead letters back into the mailbox (all, or those with the given ids).
    /// - Throws: ``BusError/notRecorded(mailbox:cause:)`` when a durable mailbox could not record it.
    @discardableResult
    public func requeueDeadLetters(ids: Set<EventID>? = nil) async throws -> Int {
        switch source {
        case .queue(let deliveries):
            return try await deliveries.requeueDeadLetters(ids: ids)
        case .group(let group, _, _):
            do {
                let count = try await group.store.requeueDeadLetters(group: group.name, ids: ids?.map(\.description))
                if count > 0 { group.store.wake(group: group.name) }
                return count
            } catch {
                throw BusError.notRecorded(mailbox: group.name, cause: StoreFailure(group.store.failure(error)))
            }
        }
    }

    /// What a durable mailbox found and repaired when it opened (nil in memory and for a
    /// consumer group).
    public var recoveryReport: RecoveryReport? {
        switch source {
        case .queue(let deliveries): deliveries.recoveryReport
        case .group: nil
        }
    }
}
