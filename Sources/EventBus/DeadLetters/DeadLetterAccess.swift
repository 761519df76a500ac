import EventLog
import EventQueue
import Foundation

/// How the bus lists and requeues the dead letters of one of its mailboxes, whatever its event
/// type: made where the type is known (when the mailbox is declared) and kept in the registry.
struct DeadLetterAccess: Sendable {
    /// The dead letters, oldest first, at most `limit`.
    let list: @Sendable (_ limit: Int?) async throws -> [StoredDeadLetter]
    /// Requeues dead letters (all, or those with the ids); how many.
    let requeue: @Sendable (_ ids: Set<EventID>?) async throws -> Int

    /// A durable mailbox of this process: its dead letters as its codec stores them, and the
    /// records it recovered and could not read, as they are stored.
    static func durable<E: Event>(_ queue: WorkQueue<Envelope<E>>, codec: any EventCodec<E>) -> DeadLetterAccess {
        let envelopes = EnvelopeCodec(codec: codec)
        return listing(queue) { letter, priority, reason, attempts, deadAt in
            let stored = letter.metadata
            // The queue's envelope carries no id of its own: the dead letter's.
            let metadata = EventMetadata(
                id: letter.id,
                publishedAt: stored.publishedAt,
                priority: priority,
                headers: stored.headers,
                correlationID: stored.correlationID,
                orderingKey: stored.orderingKey
            )
            let bytes = (try? envelopes.encode(Envelope(event: letter.event, metadata: metadata))) ?? []
            return StoredDeadLetter(
                id: letter.id,
                mailbox: queue.name,
                envelope: bytes,
                fallbackName: E.eventName,
                priority: priority,
                reason: reason,
                attempts: attempts,
                crashes: 0,
                deadLetteredAt: deadAt
            )
        }
    }

    /// A mailbox or queue in memory: each dead letter's body is its event's JSON when the
    /// event's type is `Codable` (empty otherwise).
    static func memory<T: Sendable>(_ queue: WorkQueue<Envelope<T>>) -> DeadLetterAccess {
        Self.listing(queue) { letter, priority, reason, attempts, deadAt in
            let json = StoredDeadLetter.json(of: letter.event)
            let stored = letter.metadata
            return StoredDeadLetter(
                id: letter.id,
                mailbox: queue.name,
                eventName: json?.name ?? String(reflecting: type(of: letter.event)),
                schemaVersion: json?.version ?? 1,
                codecID: json == nil ? "" : "json",
                body: json?.body ?? [],
                headers: stored.headers,
                correlationID: stored.correlationID,
                orderingKey: stored.orderingKey,
                priority: priority,
                publishedAt: stored.publishedAt,
                reason: reason,
                attempts: attempts,
                deadLetteredAt: deadAt
            )
        }
    }

    /// The dead letters of `queue`, each made by `make` (with the letter's id in place of the
    /// envelope's), then the records it could not read; oldest first.
    private static func listing<T: Sendable>(
        _ queue: WorkQueue<Envelope<T>>,
        make:
            @escaping @Sendable (
                _ letter: (event: T, metadata: EventMetadata, id: EventID),
                _ priority: Priority,
                _ reason: DeadLetterReason,
                _ attempts: Int,
                _ deadAt: Date
            ) -> StoredDeadLetter
    ) -> DeadLetterAccess {
        let name = queue.name
        return DeadLetterAccess(
            list: { limit in
                let wall = Date()
                let clock = ContinuousClock.now
                var letters = queue.deadLetters().map { letter in
                    make(
                        (letter.element.event, letter.element.metadata, letter.id),
                        letter.priority,
                        DeadLetterReason(storedText: letter.reason),
                        letter.attempts,
                        wall.addingTimeInterval(-Double(EventLog.nanoseconds(clock - letter.deadLetteredAt)) / 1e9)
                    )
                }
                letters += queue.unreadableDeadLetters().map { record in
                    StoredDeadLetter(
                        id: record.id,
                        mailbox: name,
                        envelope: record.body,
                        priority: record.priority,
                        reason: DeadLetterReason(storedText: record.reason),
                        attempts: record.attempts,
                        crashes: record.crashes,
                        deadLetteredAt: record.deadAt.map {
                            Date(timeIntervalSince1970: Double($0.nanosecondsSinceEpoch) / 1e9)
                        } ?? wall
                    )
                }
                letters.sort { $0.deadLetteredAt < $1.deadLetteredAt }
                return limit.map { Array(letters.prefix(max(0, $0))) } ?? letters
            },
            requeue: { ids in
                do {
                    return try await queue.requeueDeadLetters(ids: ids)
                } catch {
                    throw BusError(settling: error, mailbox: name)
                }
            }
        )
    }

    /// A consumer group: read from and moved in its store.
    static func group(_ group: GroupMailbox) -> DeadLetterAccess {
        DeadLetterAccess(
            list: { limit in
                do {
                    return try await group.store.storedDeadLetters(group: group.name, limit: limit)
                } catch {
                    throw BusError.mailboxUnavailable(
                        name: group.name,
                        reason: StoreFailure(group.store.failure(error))
                    )
                }
            },
            requeue: { ids in
                do {
                    let count = try await group.store.requeueDeadLetters(
                        group: group.name,
                        ids: ids?.map(\.description)
                    )
                    if count > 0 { group.store.wake(group: group.name) }
                    return count
                } catch {
                    throw BusError.notRecorded(mailbox: group.name, cause: StoreFailure(group.store.failure(error)))
                }
            }
        )
    }
}
