#if MetricsSupport
    import CoreMetrics
    import EventLog
    import EventQueue

    /// The swift-metrics instruments of one bus, one set per mailbox or queue name, each made once
    /// (trait `MetricsSupport`); and the counters last reported per queue, to report differences.
    ///
    /// Every name is always made with the same dimension keys: `messaging.destination.name`, plus
    /// `messaging.system` on sent messages, `error.type` on consumed messages (empty when the
    /// handler returned, which Prometheus reads as absent) and `eventbus.overflow.policy` on drops.
    final class MessagingInstruments: Sendable {
        /// One destination's instruments.
        struct Destination: Sendable {
            let sent: Counter
            let consumed: Counter
            let retries: Counter
            let deadLetters: Counter
            let processDuration: CoreMetrics.Timer
            let waitDuration: CoreMetrics.Timer
            let depth: Gauge
            let inFlight: Gauge
            let drainSeconds: Gauge
        }

        /// A queue's counters when last reported.
        struct Reported: Sendable {
            var enqueued: UInt64 = 0
            var retried: UInt64 = 0
            var deadLettered: UInt64 = 0
            var dropped: UInt64 = 0
        }

        /// One queue's state read for a report, outside any lock of ours.
        struct Snapshot: Sendable {
            let queue: ObjectIdentifier
            let destination: String
            let overflowPolicy: String
            let metrics: QueueMetrics
        }

        private struct State {
            var destinations: [String: Destination] = [:]
            /// Consumed-message counters of failed handler calls, by destination and error type.
            var failures: [String: [String: Counter]] = [:]
            /// Drop counters by destination, made at the first report (which knows the overflow policy).
            var drops: [String: Counter] = [:]
            var reported: [ObjectIdentifier: Reported] = [:]
        }

        let factory: any MetricsFactory
        private let state = Locked(State())

        init(factory: any MetricsFactory) {
            self.factory = factory
        }

        /// The instruments of `destination`, made on first use.
        func destination(_ destination: String) -> Destination {
            state.withLock { state in instruments(destination, in: &state) }
        }

        /// The consumed-message counter of handler calls that threw `errorType`, made on first use.
        func failedConsumption(_ destination: String, errorType: String) -> Counter {
            state.withLock { state in
                if let counter = state.failures[destination]?[errorType] { return counter }
                let counter = Counter(
                    label: MessagingNames.consumed,
                    dimensions: [
                        (MessagingNames.destinationKey, destination), (MessagingNames.errorTypeKey, errorType),
                    ],
                    factory: factory
                )
                state.failures[destination, default: [:]][errorType] = counter
                return counter
            }
        }

        /// Reports the queues: counters by what they counted since the last report, gauges as they are.
        /// Queues of the same name add up; a name whose queues are gone reports empty gauges.
        func report(_ snapshots: [Snapshot]) {
            state.withLock { state in
                var totals: [String: QueueMetrics] = [:]
                var seen: [ObjectIdentifier: Reported] = [:]
                for snapshot in snapshots {
                    let metrics = snapshot.metrics
                    let set = instruments(snapshot.destination, in: &state)
                    let dropped = dropCounter(snapshot.destination, overflowPolicy: snapshot.overflowPolicy, in: &state)
                    let last = state.reported[snapshot.queue] ?? Reported()
                    Self.add(Self.since(last.enqueued, metrics.enqueued), to: set.sent)
                    Self.add(Self.since(last.retried, metrics.retried), to: set.retries)
                    Self.add(Self.since(last.deadLettered, metrics.deadLettered), to: set.deadLetters)
                    Self.add(Self.since(last.dropped, metrics.dropped), to: dropped)
                    seen[snapshot.queue] = Reported(
                        enqueued: metrics.enqueued,
                        retried: metrics.retried,
                        deadLettered: metrics.deadLettered,
                        dropped: metrics.dropped
                    )
                    totals[snapshot.destination, default: QueueMetrics(name: snapshot.destination)].absorb(metrics)
                }
                state.reported = seen
                for (name, set) in state.destinations {
                    let total = totals[name] ?? QueueMetrics(name: name)
                    set.depth.record(total.depth)
                    set.inFlight.record(total.inFlight)
                    set.drainSeconds.record(Self.drainSeconds(total.forecast))
                }
            }
        }

        private static func add(_ amount: Int64, to counter: Counter) {
            if amount > 0 { counter.increment(by: amount) }
        }

        /// What a counter counted since `last`; all of it when the queue is new (its count restarted).
        private static func since(_ last: UInt64, _ now: UInt64) -> Int64 {
            Int64(clamping: now >= last ? now - last : now)
        }

        /// Seconds until the backlog is gone at the current rates: 0 when idle, infinity when it does
        /// not shrink.
        private static func drainSeconds(_ forecast: Forecast) -> Double {
            switch forecast {
            case .idle: 0
            case .drains(let seconds): seconds
            case .grows, .fills, .steady: .infinity
            }
        }

        private func dropCounter(_ destination: String, overflowPolicy: String, in state: inout State) -> Counter {
            if let made = state.drops[destination] { return made }
            let made = Counter(
                label: MessagingNames.dropped,
                dimensions: [
                    (MessagingNames.destinationKey, destination), (MessagingNames.overflowPolicyKey, overflowPolicy),
                ],
                factory: factory
            )
            state.drops[destination] = made
            return made
        }

        private func instruments(_ destination: String, in state: inout State) -> Destination {
            if let made = state.destinations[destination] { return made }
            let name = [(MessagingNames.destinationKey, destination)]
            let made = Destination(
                sent: Counter(
                    label: MessagingNames.sent,
                    dimensions: name + [(MessagingNames.systemKey, MessagingNames.system)],
                    factory: factory
                ),
                consumed: Counter(
                    label: MessagingNames.consumed,
                    dimensions: name + [(MessagingNames.errorTypeKey, "")],
                    factory: factory
                ),
                retries: Counter(label: MessagingNames.retries, dimensions: name, factory: factory),
                deadLetters: Counter(label: MessagingNames.deadLetters, dimensions: name, factory: factory),
                processDuration: CoreMetrics.Timer(
                    label: MessagingNames.processDuration,
                    dimensions: name,
                    factory: factory
                ),
                waitDuration: CoreMetrics.Timer(label: MessagingNames.waitDuration, dimensions: name, factory: factory),
                depth: Gauge(label: MessagingNames.depth, dimensions: name, factory: factory),
                inFlight: Gauge(label: MessagingNames.inFlight, dimensions: name, factory: factory),
                drainSeconds: Gauge(label: MessagingNames.drainSeconds, dimensions: name, factory: factory)
            )
            state.destinations[destination] = made
            return made
        }
    }
#endif
