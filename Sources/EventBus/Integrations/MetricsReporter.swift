#if MetricsSupport
    import CoreMetrics
    import EventLog
    import EventQueue

    /// Reports a bus's mailboxes and queues to swift-metrics (trait `MetricsSupport`); made by
    /// ``Bus/reportMetrics(every:factory:)``.
    ///
    /// One set of metrics per mailbox, callback queue and point-to-point queue, each made once, with
    /// the dimension `messaging.destination.name` (the name ``QueueMetrics/name`` gives):
    ///
    /// | name | kind | extra dimensions |
    /// |---|---|---|
    /// | `messaging.client.sent.messages` | counter | `messaging.system`=`eventbus` |
    /// | `messaging.client.consumed.messages` | counter | `error.type` (empty when the handler returned) |
    /// | `messaging.process.duration` | timer | |
    /// | `eventbus.queue.wait.duration` | timer | |
    /// | `eventbus.retries`, `eventbus.dead_letters` | counters | |
    /// | `eventbus.dropped` | counter | `eventbus.overflow.policy` |
    /// | `eventbus.queue.depth`, `eventbus.queue.in_flight`, `eventbus.queue.drain.seconds` | gauges | |
    ///
    /// Handler calls are counted and timed as they happen (through a middleware); the queues'
    /// counters and gauges are read at each ``report()``, which ``run()`` calls every ``interval``.
    /// With trait `ServiceLifecycleSupport` the reporter is a `Service`: put it before the bus in a
    /// `ServiceGroup`, so that it reports once more after the bus has drained.
    public final class MetricsReporter: Sendable {
        /// How often ``run()`` reports the queues.
        public let interval: Duration
        private let bus: Bus
        private let instruments: MessagingInstruments
        private let installation: MiddlewareInstallation

        init(bus: Bus, interval: Duration, factory: any MetricsFactory) {
            self.bus = bus
            self.interval = interval
            let instruments = MessagingInstruments(factory: factory)
            self.instruments = instruments
            self.installation = bus.use(MetricsMiddleware(instruments: instruments))
        }

        /// Reports every queue of the bus now: counters by what they counted since the last report,
        /// gauges as they are.
        public func report() {
            let snapshots = bus.allQueues().map { queue in
                MessagingInstruments.Snapshot(
                    queue: ObjectIdentifier(queue as AnyObject),
                    destination: MessagingNames.destination(queue.name),
                    overflowPolicy: (queue as? any OverflowDescribing)?.overflowPolicyName ?? "",
                    metrics: queue.metrics()
                )
            }
            instruments.report(snapshots)
        }

        /// Reports every ``interval`` until the task is cancelled (or, with trait
        /// `ServiceLifecycleSupport`, until a graceful shutdown), then once more.
        public func run() async {
            #if ServiceLifecycleSupport
                await withGracefulShutdownOrCancellation { await self.reportPeriodically() }
            #else
                await reportPeriodically()
            #endif
            report()
        }

        /// Stops counting handler calls (removes the middleware); ``report()`` still works.
        public func cancel() {
            installation.cancel()
        }

        private func reportPeriodically() async {
            while !Task.isCancelled {
                report()
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return
                }
            }
        }
    }
#endif
