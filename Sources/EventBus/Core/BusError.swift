import EventLog
import EventQueue

/// Why the bus refused an operation. Every failure the bus itself originates is one of these,
/// with typed causes; errors that belong to the caller's own code (a responder's or a
/// middleware's error, `CancellationError`) pass through unchanged.
public enum BusError: Error, Sendable, CustomStringConvertible {
    /// The bus was shut down; nothing more is accepted.
    case shutDown
    /// Full: a subscriber's mailbox, or the point-to-point queue of a `send`, holds its capacity
    /// and its overflow policy is ``OverflowPolicy/fail``. On a publish the other subscribers
    /// received the event; `report` says what happened (its ``PublishReport/rejectedBy`` names
    /// the mailboxes or queue that refused it). The one error for "full".
    case rejected(eventName: String, mailboxes: [String], report: PublishReport)
    /// ``Bus/publish(contentsOf:priority:headers:correlationID:orderingKey:id:)`` published every event, but
    /// full mailboxes with overflow policy ``OverflowPolicy/fail`` refused some: `reports` has one
    /// report per event, in order, and ``PublishReport/rejectedBy`` names who refused each.
    case rejectedInBatch(eventName: String, reports: [PublishReport])
    /// `request` found no responder for the request type (checked at once, not after a timeout).
    case noResponder(requestName: String)
    /// A responder for this request type is already registered.
    case responderAlreadyRegistered(requestName: String)
    /// The responder did not answer within the timeout.
    case timeout(requestName: String, after: Duration)
    /// A point-to-point queue name is already used for a different event type.
    case queueTypeMismatch(queue: String, expected: String, actual: String)
    /// A name that is not `[A-Za-z0-9._-]{1,128}` or contains `..`.
    case invalidName(String)
    /// Durable mailboxes of the event's type could not store it (or, for a batch, some of its
    /// events): nothing of what was not stored everywhere was delivered in memory. The report
    /// says, event by event, which mailboxes stored it and why the others failed; a caller
    /// retries without duplicates by publishing the events again with the same ids (see
    /// Documentation/DurableMailboxes.md, "When a publish throws").
    case notStored(StoreReport)
    /// A durable store was sent the events but never confirmed them (the connection to a shared
    /// store dropped, or its bound passed, after the write went out): they may or may not be
    /// stored — neither a success nor ``notStored(_:)``. Nothing was delivered in memory.
    /// ``StoreReport/outcomeUnknown`` lists their ids: publishing them again with the same ids is
    /// safe (a consumer group stores an id once while it is pending, and within its dedup window
    /// after it was handled). Documentation/ScaleOut.md, "When the server cannot be reached".
    case outcomeUnknown(StoreReport)
    /// A durable mailbox could not record a delivery's progress (its acknowledgement, retry,
    /// dead letter or requeue): the change holds in this process, and after a restart the
    /// mailbox delivers the event again.
    case notRecorded(mailbox: String, cause: StoreFailure)
    /// The delivery was already acknowledged or failed, or its visibility timeout ran out and it
    /// was handed out again.
    case alreadySettled(mailbox: String)
    /// The scheduler of delayed publications holds `BusConfiguration.schedulerCapacity` events.
    case schedulerFull(capacity: Int)
    /// A durable mailbox could not be opened or recovered: a bad name, a directory writable by
    /// others or not a directory, locked by another process, or an I/O error (errno and path).
    case mailboxUnavailable(name: String, reason: StoreFailure)
    /// An event could not be encoded or decoded for a durable mailbox.
    case codec(CodecError)
    /// A durable mailbox was declared without a store, and the bus has no default
    /// (``BusConfiguration/durableStore``).
    case noDurableStore(mailbox: String)
    /// Protocol (pattern) subscriptions cannot be durable: a stored record must name one event type.
    case patternNotDurable(mailbox: String)
    /// ``Bus/emit(_:priority:headers:correlationID:id:)`` was asked to publish an event whose
    /// type has observers or durable mailboxes, which cannot be reached without `await`: nobody
    /// received it. Publish it with ``Bus/publish(_:priority:headers:correlationID:id:)``.
    case notInline(eventName: String)
    /// An ``Bus/emit(_:priority:headers:correlationID:id:)`` nested inside inline callbacks
    /// deeper than ``Bus/inlineDepthLimit`` (an inline callback that emits what makes it emit
    /// again, say): nobody received the event.
    case inlineDepthExceeded(eventName: String, limit: Int)
    /// A durable mailbox already declared in this process was attached to with a different
    /// mailbox-wide setting (its dedup window): `declared` is the mailbox's, `requested` what this
    /// call asked for. A mailbox-wide setting is given where the mailbox is first declared
    /// (`declareMailbox(_:for:dedup:codec:)`, or the first `subscribe`/`consume`); a subscriber's
    /// own settings (acknowledgement, retry, dead-letter policy) may differ per subscriber.
    case conflictingDeclaration(mailbox: String, setting: String, declared: String, requested: String)
    /// The transport cannot carry requests and broadcasts now (its connection is down, or it
    /// cannot receive at all — a pooler that breaks LISTEN): a request or broadcast fails at once
    /// with this, never hangs; requests waiting for a reply when the connection dropped fail with
    /// it too. The transport reconnects by itself.
    case transportUnavailable(TransportFailure)
    /// The responder on another instance threw: `description` is its error as text (the error's
    /// type does not cross processes).
    case remoteFailure(requestName: String, instance: String, description: String)
    /// A broadcast was declared on a bus without a transport (``BusConfiguration/transport``).
    case noTransport(eventName: String)
    /// No mailbox of this bus has that name (``Bus/deadLetters(ofMailboxNamed:limit:)``), or the
    /// mailbox named has no dead letters to show (a callback's queue, the scheduler).
    case noSuchMailbox(String)

    /// A sentence for people.
    public var description: String {
        switch self {
        case .shutDown:
            "the bus is shut down: publish, send, request and subscribe are refused"
        case .rejected(let name, let mailboxes, _):
            "\(name) was refused by full mailbox(es) \(mailboxes.joined(separator: ", ")) (overflow policy .fail)"
        case .rejectedInBatch(let name, let reports):
            "\(reports.count { !$0.rejectedBy.isEmpty }) of \(reports.count) \(name) events were refused by full "
                + "mailbox(es) \(Set(reports.flatMap(\.rejectedBy)).sorted().joined(separator: ", ")) (overflow policy .fail)"
        case .noResponder(let name):
            "no responder is registered for request \(name)"
        case .responderAlreadyRegistered(let name):
            "a responder for request \(name) is already registered; cancel it first"
        case .timeout(let name, let after):
            "request \(name) got no response within \(after)"
        case .queueTypeMismatch(let queue, let expected, let actual):
            "queue \"\(queue)\" carries \(expected), not \(actual)"
        case .invalidName(let name):
            "invalid name \"\(name)\": use 1 to 128 of A-Z a-z 0-9 . _ - and no \"..\" (and not \".\")"
        case .notStored(let report):
            report.description
        case .outcomeUnknown(let report):
            "\(report.outcomeUnknown.count) of \(report.events.count) \(report.eventName) event(s) may or may not be "
                + "stored (sent, not confirmed): "
                + Set(report.failures.map { "\($0.mailbox): \($0.cause)" }).sorted().joined(separator: "; ")
                + "; publish them again with the same ids"
        case .notRecorded(let mailbox, let cause):
            "mailbox \(mailbox) could not record the delivery's progress (\(cause)); it will be delivered again after a restart"
        case .alreadySettled(let mailbox):
            "the delivery from mailbox \(mailbox) was already settled (acknowledged, failed, or expired and handed out again)"
        case .schedulerFull(let capacity):
            "the scheduler of delayed publications is full (schedulerCapacity \(capacity))"
        case .mailboxUnavailable(let name, let reason):
            "durable mailbox \(name) is unavailable: \(reason)"
        case .codec(let error):
            error.description
        case .noDurableStore(let name):
            "durable mailbox \(name) names no store, and the bus has no default (BusConfiguration.durableStore)"
        case .patternNotDurable(let name):
            "mailbox \(name): a protocol subscription cannot be durable; subscribe to a concrete event type"
        case .notInline(let name):
            "\(name) has observers or durable mailboxes, which emit cannot reach without waiting; use await publish"
        case .inlineDepthExceeded(let name, let limit):
            "emitting \(name) would nest inline callbacks deeper than \(limit) emits; nobody received it"
        case .conflictingDeclaration(let name, let setting, let declared, let requested):
            "durable mailbox \(name) is declared with \(setting) \(declared), not \(requested): give a mailbox-wide "
                + "setting where the mailbox is first declared"
        case .transportUnavailable(let failure):
            "the transport to the other instances is unavailable: \(failure)"
        case .remoteFailure(let name, let instance, let description):
            "the responder of \(name) on instance \(instance) failed: \(description)"
        case .noTransport(let name):
            "\(name) cannot be broadcast: the bus has no transport (BusConfiguration.transport)"
        case .noSuchMailbox(let name):
            "this bus has no mailbox named \"\(name)\" that keeps dead letters"
        }
    }

    /// ``rejected(eventName:mailboxes:report:)`` for a point-to-point queue that is full: one form
    /// for "full", as for publish.
    @usableFromInline
    static func queueRejected(_ eventName: String, queue: String, eventID: EventID) -> BusError {
        var report = PublishReport(eventID: eventID)
        report.rejectedBy = [queue]
        return .rejected(eventName: eventName, mailboxes: [queue], report: report)
    }

    /// ``notStored(_:)`` for a report of durable mailboxes that could not store events — or,
    /// when a store was sent events without confirming them, ``outcomeUnknown(_:)``.
    @usableFromInline
    static func storeFailed(_ report: StoreReport) -> BusError {
        report.failures.contains { $0.cause.isOutcomeUnknown } ? .outcomeUnknown(report) : .notStored(report)
    }

    /// ``notStored(_:)`` for a durable point-to-point queue that could not store a sent event.
    @usableFromInline
    static func notStoredInQueue(_ eventName: String, queue: String, eventID: EventID, cause: StoreFailure) -> BusError
    {
        var outcome = StoreReport.Outcome(eventID: eventID)
        outcome.failures = [StoreReport.MailboxFailure(mailbox: queue, cause: cause)]
        return storeFailed(StoreReport(eventName: eventName, events: [outcome]))
    }

    /// What a queue's refusal to settle a delivery (ack, nack, requeue) means for the caller.
    init(settling error: any Error, mailbox: String) {
        switch error as? QueueError {
        case .unknownLease?: self = .alreadySettled(mailbox: mailbox)
        // A shared store's lease ran out and another claimant has the event.
        case .storage(.other(let cause))? where cause is GroupClaimLost: self = .alreadySettled(mailbox: mailbox)
        default: self = .notRecorded(mailbox: mailbox, cause: StoreFailure(storageError: error))
        }
    }

    /// Checks a mailbox or queue name: `[A-Za-z0-9._-]{1,128}`, no `..`, not `.`.
    public static func validate(name: String) throws(BusError) {
        do {
            try StoreFailure.validate(name: name)
        } catch {
            throw .invalidName(name)
        }
    }
}
