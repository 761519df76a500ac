import EventLog
import EventQueue

/// What a publish whose events could not be stored in every durable mailbox did, event by
/// event: carried by ``BusError/notStored(_:)``.
///
/// A publish stores its event in every durable mailbox of the event's type before anybody else
/// receives it. When a store fails, the event is delivered to nobody in memory and the publish
/// throws; the mailboxes that did store it keep it. To retry without duplicates, publish each
/// event of ``unpublished`` again with its id (`publish(_:id:)`): a durable mailbox with a
/// dedup window drops the copy it already has.
public struct StoreReport: Sendable, CustomStringConvertible {
    /// A durable mailbox that could not store an event, and why.
    public struct MailboxFailure: Sendable, CustomStringConvertible {
        /// The mailbox's name.
        public let mailbox: String
        /// Why it could not store the event.
        public let cause: StoreFailure

        /// "billing: disk full while writing …".
        public var description: String { "\(mailbox): \(cause)" }
    }

    /// One event of the publish.
    public struct Outcome: Sendable {
        /// The event's id: publish it again with this id to retry.
        public let eventID: EventID
        /// Durable mailboxes that stored the event.
        public var storedIn: [String]
        /// Durable mailboxes that could not store it, with the cause.
        public var failures: [MailboxFailure]
        /// Whether the event was published in full: stored everywhere and delivered (in a batch
        /// published event by event, those before the failure).
        public var published: Bool
    }

    /// The events' type name.
    public let eventName: String
    /// Every event of the publish, in order.
    public let events: [Outcome]

    /// The ids of the events that were not published, in order: retry these.
    public var unpublished: [EventID] { events.filter { !$0.published }.map(\.eventID) }

    /// Every mailbox failure, event by event.
    public var failures: [MailboxFailure] { events.flatMap(\.failures) }

    /// The ids of the events that a store was sent but did not confirm (``StoreFailure/isOutcomeUnknown``):
    /// they may be stored. Publish them again with the same ids (see ``BusError/outcomeUnknown(_:)``).
    public var outcomeUnknown: [EventID] {
        events.filter { $0.failures.contains { $0.cause.isOutcomeUnknown } }.map(\.eventID)
    }

    /// Creates a report.
    public init(eventName: String, events: [Outcome]) {
        self.eventName = eventName
        self.events = events
    }

    /// "1 of 1 OrderPlaced events not stored: billing: disk full …; stored in audit".
    public var description: String {
        let causes = Dictionary(grouping: failures, by: \.mailbox).map { mailbox, failures in
            "\(mailbox): \(failures[0].cause)"
        }.sorted()
        let stored = Set(events.filter { !$0.published }.flatMap(\.storedIn)).sorted()
        var text =
            "\(unpublished.count) of \(events.count) \(eventName) event(s) not published, "
            + "as durable mailbox(es) could not store them: " + causes.joined(separator: "; ")
        if !stored.isEmpty { text += "; stored in " + stored.joined(separator: ", ") }
        return text
    }
}

extension StoreReport.Outcome {
    /// An event nothing was done with yet.
    @usableFromInline
    init(eventID: EventID) {
        self.eventID = eventID
        self.storedIn = []
        self.failures = []
        self.published = false
    }
}

extension StoreReport {
    /// The report of one event that the durable entries of `route` stored or not: `results`,
    /// in the order of those entries, ends with the first failure or holds them all.
    @usableFromInline
    init<E: Event>(eventName: String, route: Route<E>, eventID: EventID, results: [DeliveryResult]) {
        var outcome = StoreReport.Outcome(eventID: eventID)
        var position = 0
        for entry in route.entries {
            guard let durable = entry.durable else { continue }
            guard position < results.count else { break }
            outcome.record(results[position], in: durable.mailbox)
            position += 1
        }
        self.init(eventName: eventName, events: [outcome])
    }
}

extension StoreReport {
    /// The report of a batch: `results[m][e]` is what durable entry `m` did with event `e`.
    @usableFromInline
    init<E: Event>(eventName: String, ids: [EventID], entries: [RouteEntry<E>], results: [[DeliveryResult]]) {
        var outcomes = ids.map { StoreReport.Outcome(eventID: $0) }
        for (entry, stored) in zip(entries, results) {
            guard let durable = entry.durable else { continue }
            for index in stored.indices { outcomes[index].record(stored[index], in: durable.mailbox) }
        }
        self.init(eventName: eventName, events: outcomes)
    }
}

extension StoreReport.Outcome {
    /// Notes what storing the event in the durable mailbox `mailbox` did.
    @usableFromInline
    mutating func record(_ result: DeliveryResult, in mailbox: String) {
        switch result {
        case .enqueued(let outcome) where outcome != .droppedNewest:
            storedIn.append(mailbox)
        case .notStored(let failure):
            failures.append(StoreReport.MailboxFailure(mailbox: mailbox, cause: failure))
        default:
            break
        }
    }
}
