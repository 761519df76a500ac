import EventLog
import EventQueue
import Foundation

// What a shared store needs from the bus to publish inside the caller's transaction (a
// transactional outbox) and to acknowledge in the same transaction as a handler's writes. The
// store's module (EventBusPostgres) makes the public entry points; these stay `package`.

/// The claim a consumer group's loop is handling, for a handler that acknowledges it in its own
/// transaction (set by the loop around the handler, as a task-local).
package struct GroupClaim: Sendable {
    /// The group.
    package let group: String
    /// The event's id.
    package let id: String
    /// The loop's lease owner: the acknowledgement counts only from it.
    package let owner: String

    /// The claim of the event being handled, in a handler that a group's loop runs.
    @TaskLocal package static var current: GroupClaim?
}

/// Thrown by a handler that acknowledges in its transaction when the store refused the
/// acknowledgement (the lease ran out and another claimant has the event): the transaction is
/// rolled back, and the loop settles nothing (the next claimant handles the event again).
package struct GroupClaimLost: Error, CustomStringConvertible {
    /// The group.
    package let group: String

    /// Makes the error.
    package init(group: String) {
        self.group = group
    }

    package var description: String {
        "the lease on an event of consumer group \(group) ran out before the handler's transaction "
            + "committed: rolled back, and handled again by its next claimant"
    }
}

extension Bus {
    /// The record a publish stores into consumer groups, as ``publish(_:priority:headers:correlationID:id:)``
    /// makes its metadata and runs `willPublish` of the middleware; `body` stores it (in the
    /// caller's transaction), then `didPublish` sees the outcome. No subscriber of this process
    /// receives it: only the groups declared for its type in the store, once `body`'s transaction
    /// commits.
    /// - Throws: ``BusError/shutDown``, ``BusError/codec(_:)``, the codec's, a middleware's or
    ///   `body`'s error.
    package func publishRecord<E: Event>(
        _ event: E,
        orderingKey: String?,
        priority: Priority,
        headers: [String: String],
        correlationID: String?,
        id: EventID?,
        codec: (any EventCodec<E>)?,
        _ body: (GroupRecord) async throws -> Void
    ) async throws -> EventID {
        if router.isShutDown { throw BusError.shutDown }
        let envelopes = EnvelopeCodec(codec: try storedCodec(codec, for: E.self))
        let metadata = newMetadata(
            orderingKey: orderingKey,
            priority: priority,
            headers: headers,
            correlationID: correlationID,
            id: id
        )
        let chain = middlewares.applicable(to: E.self)
        var envelope = PublishEnvelope(event: event, eventName: E.eventName, metadata: metadata)
        var result: Result<PublishReport, any Error>
        do {
            for middleware in chain { try middleware.willPublish(&envelope) }
            let stored = envelope.metadata
            let bytes = try envelopes.encode(Envelope(event: event, metadata: stored))
            try await body(
                GroupRecord(
                    eventName: E.eventName,
                    id: stored.id.description,
                    body: bytes,
                    priority: stored.priority,
                    delay: nil,
                    orderingKey: stored.orderingKey,
                    schemaVersion: E.schemaVersion
                )
            )
            result = .success(PublishReport(eventID: stored.id))
        } catch {
            result = .failure(error)
        }
        for middleware in chain { middleware.didPublish(envelope, result: result) }
        return try result.get().eventID
    }
}

extension Bus {
    /// The shared store of `mailbox` when it is a consumer group (a durable mailbox whose store,
    /// named or the bus's default, is a ``GroupStore``); nil otherwise.
    package func groupStore(of mailbox: Mailbox) -> (any GroupStore)? {
        guard case .durable(_, let named, _) = mailbox, let store = named ?? configuration.durableStore else {
            return nil
        }
        return store.backend.groups
    }
}
