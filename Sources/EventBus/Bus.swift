import EventLog
import EventQueue
import Foundation
import Synchronization

/// The event bus: routes each published event by its type to every subscription, with the
/// strategy each subscription chose.
///
/// ```swift
/// let bus = Bus()
/// try bus.register(inventory)                                   // observer: publish awaits it
/// try bus.on(OrderPlaced.self) { order in print(order.id) }     // callback
/// let orders = try await bus.subscribe(OrderPlaced.self)          // mailbox, iterate at your pace
/// let report = try await bus.publish(OrderPlaced(id: 1))
/// ```
///
/// `Bus` is a `Sendable` class whose state sits behind mutexes rather than an actor: the routing
/// table is read under a lock and `publish` runs on the caller's executor (`nonisolated(nonsending)`), so a publish
/// to one observer costs one hop — to the observer — and a publish to a mailbox costs none.
/// See Documentation/Architecture.md.
public final class Bus: Sendable {
    /// The settings the bus was created with.
    public let configuration: BusConfiguration
    @usableFromInline let router = Router()
    @usableFromInline let ids: EventIDGenerator
    let registry = QueueRegistry()
    @usableFromInline let counters = BusCounters()
    let registrations: Registrations
    @usableFromInline let middlewares = MiddlewareStack()
    /// Shared by every durable mailbox of the bus (``BusConfiguration/inlineSyncThreads``).
    let inlineSyncs: InlineSyncLimit
    /// Request timeouts.
    let deadlines: Deadlines
    /// The bus's side of its transport (nil without one).
    let link: TransportLink?

    /// Creates a bus; the default configuration keeps everything in memory.
    public init(configuration: BusConfiguration = BusConfiguration()) {
        self.configuration = configuration
        self.ids = configuration.idNonce.map(EventIDGenerator.init(nonce:)) ?? EventIDGenerator()
        self.registrations = Registrations()
        self.inlineSyncs = InlineSyncLimit(threads: configuration.inlineSyncThreads)
        let deadlines = Deadlines(clock: configuration.clock)
        self.deadlines = deadlines
        self.link = configuration.transport.map {
            TransportLink(backend: $0.backend, deadlines: deadlines, clock: configuration.clock)
        }
        #if LoggingSupport
            installLogging()
        #endif
    }

    deinit {
        // A bus that is dropped without shutdown must not leave consumer tasks waiting forever.
        // Durable deliveries in progress are given back, as at a shutdown.
        let records = router.shutDown()
        for record in records { record.onCancel?() }
        for registered in registry.all {
            registered.queue.terminate(releasingInFlight: true)
            for consumer in registered.consumers { consumer.cancel() }
        }
    }

    /// Stops every queue and consumer as a crash would: durable deliveries in progress are not
    /// given back, so the next open counts them as cut off by a crash. For tests of recovery.
    package func simulateCrash() {
        let records = router.shutDown()
        for registered in registry.all {
            registered.queue.terminate(releasingInFlight: false)
            for consumer in registered.consumers { consumer.cancel() }
        }
        for record in records { record.onCancel?() }
    }

    var clock: any QueueClock { configuration.clock }

    // MARK: Publish

    /// Publishes an event to every subscription of its type (and of every protocol it conforms to).
    ///
    /// Observers are awaited one after the other, in registration order (lower `order` first);
    /// callbacks and mailboxes are enqueued. Returns once every observer has finished and every
    /// queue has accepted the event (a mailbox with ``OverflowPolicy/suspendPublisher`` may make
    /// it wait). An observer that throws does not stop the others: its error is in the report and
    /// is published as a ``HandlerFailure``. An event nobody subscribed to is published again as
    /// a ``DeadEvent``.
    ///
    /// - Parameters:
    ///   - event: the event.
    ///   - priority: its lane in every mailbox.
    ///   - headers: string headers carried in its metadata.
    ///   - correlationID: ties it to other events; defaults to that of the event being handled
    ///     when called from a handler.
    ///   - id: the event's id (default: a fresh one). Give the same id when re-publishing an event
    ///     from an external source, so that mailboxes with a dedup window drop the repeat.
    /// Durable mailboxes of the event's type store it first, before anybody else receives it:
    /// a publish that returns was stored in every one of them (under its sync policy).
    ///
    /// - Throws: ``BusError/shutDown`` after shutdown; ``BusError/notStored(_:)`` when a durable
    ///   mailbox could not store the event (nobody received it; the report names the mailboxes
    ///   that stored it and why the others could not); ``BusError/rejected(eventName:mailboxes:report:)``
    ///   when a mailbox with overflow policy `.fail` is full (the others still got the event).
    @inlinable
    @discardableResult
    public nonisolated(nonsending) func publish<E: Event>(
        _ event: E,
        priority: Priority = .normal,
        headers: [String: String] = [:],
        correlationID: String? = nil,
        id: EventID? = nil
    ) async throws -> PublishReport {
        let metadata = EventMetadata(
            id: id ?? ids.next(),
            publishedAt: Date(),
            priority: priority,
            headers: headers,
            correlationID: correlationID ?? EventContext.inheritedCorrelationID,
            attempt: 1
        )
        return try await publish(event, metadata: metadata)
    }

    /// Publishes with metadata made by the caller (delayed publication keeps its id this way).
    @inlinable
    nonisolated(nonsending) func publish<E: Event>(
        _ event: E,
        metadata: EventMetadata,
        skippingDurable: Bool = false
    ) async throws -> PublishReport {
        let route = try router.route(for: event)
        if middlewares.isActive {
            return try await publishThroughMiddleware(
                event,
                metadata: metadata,
                route: route,
                skippingDurable: skippingDurable
            )
        }
        return try await dispatch(event, metadata: metadata, route: route, skippingDurable: skippingDurable)
    }

    @inlinable
    nonisolated(nonsending) func dispatch<E: Event>(
        _ event: E,
        metadata: EventMetadata,
        route: Route<E>,
        skippingDurable: Bool = false
    )
        async throws -> PublishReport
    {
        if route.entries.isEmpty {
            var report = PublishReport(eventID: metadata.id)
            report.isDead = true
            await bury(event, metadata: metadata)
            return report
        }
        if route.hasDurable && !skippingDurable {
            return try await storeThenDeliver(event, metadata: metadata, route: route)
        }
        if !route.hasObservers && !(route.hasInline && middlewares.isActive) {
            // Mailboxes, callbacks and inline callbacks only: enqueue (and call) without
            // suspending while every queue lets us. With middleware, inline calls go through it.
            var tally = Tally(eventID: metadata.id)
            var index = 0
            // Durable entries are stored by `storeThenDeliver` or skipped: only queues in memory here.
            if !route.hasDurable {
                let entries = route.entries
                // One boxed envelope for every subscription of exactly this type.
                var boxed: (any BoxedElement)?
                while index < entries.count {
                    let entry = entries[index]
                    let result: DeliveryResult?
                    if let deliverBoxed = entry.deliverBoxed {
                        let envelope = boxed ?? WorkQueue<Envelope<E>>.box(Envelope(event: event, metadata: metadata))
                        boxed = envelope
                        result = deliverBoxed(envelope, metadata)
                    } else {
                        result = entry.deliverNow?(event, metadata)
                    }
                    guard let result else { break }
                    tally.add(result, from: entry, eventName: route.eventName, eventID: metadata.id)
                    index += 1
                }
                if index == entries.count && tally.isClean { return tally.report }
            }
            return try await deliver(
                event,
                metadata: metadata,
                route: route,
                from: index,
                tally: tally,
                skippingDurable
            )
        }
        // Observers run in this task: bind the event being handled once for all of them.
        return try await EventContext.binding.withValue(EventContext.Current(metadata: metadata)) {
            try await deliver(
                event,
                metadata: metadata,
                route: route,
                from: 0,
                tally: Tally(eventID: metadata.id),
                skippingDurable
            )
        }
    }

    /// Stores the event in every durable mailbox of the route, then — when every one stored it —
    /// delivers it to everyone else. Throws ``BusError/notStored(_:)`` otherwise.
    @inlinable
    nonisolated(nonsending) func storeThenDeliver<E: Event>(
        _ event: E,
        metadata: EventMetadata,
        route: Route<E>
    ) async throws -> PublishReport {
        var tally = Tally(eventID: metadata.id)
        // Who stored it is only needed for the report of a failure: results are kept only then.
        var results: [DeliveryResult] = []
        var failed = false
        for entry in route.entries where entry.durable != nil {
            let result = await entry.deliver(event, metadata)
            if case .notStored = result {
                failed = true
            }
            if failed || route.durableCount > 1 { results.append(result) }
            tally.add(result, from: entry, eventName: route.eventName, eventID: metadata.id)
        }
        if failed {
            if !tally.gone.isEmpty { router.remove(tally.gone) }
            throw BusError.storeFailed(
                StoreReport(eventName: route.eventName, route: route, eventID: metadata.id, results: results)
            )
        }
        guard route.hasObservers else {
            return try await deliver(event, metadata: metadata, route: route, from: 0, tally: tally, true)
        }
        return try await EventContext.binding.withValue(EventContext.Current(metadata: metadata)) {
            try await deliver(event, metadata: metadata, route: route, from: 0, tally: tally, true)
        }
    }

    /// Delivers to the entries from `index` on, then settles what the tally collected.
    @inlinable
    nonisolated(nonsending) func deliver<E: Event>(
        _ event: E,
        metadata: EventMetadata,
        route: Route<E>,
        from index: Int,
        tally: Tally,
        _ skippingDurable: Bool
    ) async throws -> PublishReport {
        var tally = tally
        let wrapped = middlewares.isActive
        let entries = route.entries
        for position in index..<entries.count {
            let entry = entries[position]
            // Durable mailboxes stored the event first (`storeThenDeliver`), or stored it when it
            // was scheduled or with its batch.
            if skippingDurable && entry.durable != nil { continue }
            let result: DeliveryResult
            if wrapped && entry.strategy == .observer {
                result = await invokeObserver(entry, event, metadata, route.eventName)
            } else if wrapped && entry.strategy == .inlineCallback {
                result = await invokeInline(entry, event, metadata, route.eventName)
            } else if let now = entry.deliverNow, let immediate = now(event, metadata) {
                result = immediate
            } else {
                result = await entry.deliver(event, metadata)
            }
            tally.add(result, from: entry, eventName: route.eventName, eventID: metadata.id)
        }
        if !tally.gone.isEmpty {
            router.remove(tally.gone)
            // Every subscriber had gone (an observer released since the route was made): nobody
            // received it, so it is a dead event like one published with no subscriber.
            if tally.gone.count == entries.count {
                tally.report.isDead = true
                await bury(event, metadata: metadata)
            }
        }
        for failure in tally.report.failures { await reportFailure(failure, while: E.self) }
        // The caller's own cancellation passes through as itself (the others got the event).
        if tally.cancelled { throw CancellationError() }
        if let refusal = tally.refusal(eventName: route.eventName) { throw refusal }
        return tally.report
    }

    /// Publishes a ``DeadEvent`` for an event nobody subscribed to (never for bus-internal events).
    @usableFromInline
    nonisolated(nonsending) func bury<E: Event>(_ event: E, metadata: EventMetadata) async {
        counters.deadEvents.add(1, ordering: .relaxed)
        guard E.self != DeadEvent.self, E.self != HandlerFailure.self else { return }
        _ = try? await publish(
            DeadEvent(event: event, metadata: metadata),
            priority: metadata.priority,
            correlationID: metadata.correlationID ?? metadata.id.description
        )
    }

    /// Counts a handler failure and publishes it (a failing `HandlerFailure` handler is only counted).
    @usableFromInline
    nonisolated(nonsending) func reportFailure<E>(_ failure: HandlerFailure, while handling: E.Type) async {
        counters.handlerFailures.add(1, ordering: .relaxed)
        await publishFailure(failure, while: handling)
    }

    /// Logs a failure already counted and publishes it as a ``HandlerFailure``.
    @usableFromInline
    nonisolated(nonsending) func publishFailure<E>(_ failure: HandlerFailure, while handling: E.Type) async {
        #if LoggingSupport
            logFailure(failure)
        #endif
        guard E.self != HandlerFailure.self else { return }
        _ = try? await publish(failure, correlationID: failure.eventID.description)
    }

    // MARK: Introspection

    /// How many subscriptions are active, in all or for one strategy.
    public func subscriptionCount(strategy: Strategy? = nil) -> Int {
        router.count(strategy: strategy)
    }

    /// Counters kept by the bus itself.
    public func statistics() -> BusStatistics {
        BusStatistics(
            deadEvents: counters.deadEvents.load(ordering: .relaxed),
            handlerFailures: counters.handlerFailures.load(ordering: .relaxed),
            compiledRoutes: router.compiledRoutes
        )
    }
}

/// What one publish did so far, entry by entry.
@usableFromInline
struct Tally: Sendable {
    @usableFromInline var report: PublishReport
    @usableFromInline var gone: [UInt64] = []
    /// The publisher was cancelled while a full mailbox made it wait.
    @usableFromInline var cancelled = false

    @inlinable
    init(eventID: EventID) {
        report = PublishReport(eventID: eventID)
    }

    /// ``BusError/rejected(eventName:mailboxes:report:)`` when full mailboxes refused the event.
    @inlinable
    func refusal(eventName: String) -> BusError? {
        guard !report.rejectedBy.isEmpty else { return nil }
        return .rejected(eventName: eventName, mailboxes: report.rejectedBy, report: report)
    }

    /// Nothing to settle after the loop: no failure, no ended subscription, no rejection.
    @inlinable
    var isClean: Bool { report.failures.isEmpty && gone.isEmpty && report.rejectedBy.isEmpty && !cancelled }

    @inlinable
    mutating func add<E>(_ result: DeliveryResult, from entry: RouteEntry<E>, eventName: String, eventID: EventID) {
        switch result {
        case .observed:
            report.observed += 1
        case .handledInline:
            report.handledInline += 1
        case .enqueued(let outcome):
            switch outcome {
            case .enqueued: report.enqueued += 1
            case .droppedOldest:
                report.enqueued += 1
                report.dropped += 1
            case .droppedNewest: report.dropped += 1
            case .duplicate: report.duplicates += 1
            }
        case .failed(let error):
            report.failures.append(
                HandlerFailure(
                    subscriptionID: entry.subscriptionID,
                    strategy: entry.strategy,
                    eventName: eventName,
                    eventID: eventID,
                    error: error
                )
            )
        case .rejected(let name):
            report.rejectedBy.append(name)
        case .notStored:
            // Reported by the store step (`StoreReport`), never as a handler failure.
            break
        case .cancelled:
            cancelled = true
        case .gone:
            gone.append(entry.subscriptionID)
        }
    }
}

/// What a batch publish did so far: one report per event, and what the batch must settle.
@usableFromInline
struct BatchTally: Sendable {
    @usableFromInline var reports: [PublishReport]
    /// Subscriptions found ended (each once).
    @usableFromInline var gone: [UInt64] = []
    @usableFromInline var cancelled = false
    @usableFromInline var rejected = false
    @usableFromInline var failed = false

    @inlinable
    init(_ items: [PendingItem]) {
        reports = []
        reports.reserveCapacity(items.count)
        for item in items { reports.append(PublishReport(eventID: item.id)) }
    }

    /// Counts what delivering event `index` to `entry` did, as ``Tally/add(_:from:eventName:eventID:)`` does.
    @inlinable
    mutating func add<E>(_ result: DeliveryResult, at index: Int, from entry: RouteEntry<E>, eventName: String) {
        switch result {
        case .observed: reports[index].observed += 1
        case .handledInline: reports[index].handledInline += 1
        case .enqueued(.enqueued): reports[index].enqueued += 1
        case .gone:
            if gone.last != entry.subscriptionID { gone.append(entry.subscriptionID) }
        case .cancelled: cancelled = true
        case .rejected(let name):
            reports[index].rejectedBy.append(name)
            rejected = true
        case .failed(let error):
            failed = true
            reports[index].failures.append(
                HandlerFailure(
                    subscriptionID: entry.subscriptionID,
                    strategy: entry.strategy,
                    eventName: eventName,
                    eventID: reports[index].eventID,
                    error: error
                )
            )
        case .enqueued(let outcome):
            switch outcome {
            case .enqueued: reports[index].enqueued += 1
            case .droppedOldest:
                reports[index].enqueued += 1
                reports[index].dropped += 1
            case .droppedNewest: reports[index].dropped += 1
            case .duplicate: reports[index].duplicates += 1
            }
        case .notStored:
            break
        }
    }
}

/// Counters the bus keeps without a lock.
@usableFromInline
final class BusCounters: Sendable {
    let deadEvents = Atomic<UInt64>(0)
    let handlerFailures = Atomic<UInt64>(0)
}

/// Counters of the bus as a whole.
public struct BusStatistics: Sendable, Hashable {
    /// Events published with no subscriber (including dead events and failures nobody observed).
    public var deadEvents: UInt64
    /// Handler invocations that threw, across every strategy.
    public var handlerFailures: UInt64
    /// Routes compiled since the bus started: one per concrete event type, again after a change
    /// of subscriptions that affects it.
    public var compiledRoutes: UInt64
}
