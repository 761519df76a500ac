#if MetricsSupport
    import CoreMetrics
    import EventLog
    import EventQueue

    // Trait MetricsSupport: the bus's queues and handler calls as swift-metrics metrics.
    extension Bus {
        /// Starts reporting the bus's mailboxes and queues to swift-metrics: handler calls are
        /// counted and timed from now on; ``MetricsReporter/run()`` (or a `ServiceGroup` running the
        /// reporter) reports the queues' counters and gauges every `interval`. See ``MetricsReporter``
        /// for the metrics and their dimensions.
        ///
        /// ```swift
        /// let reporter = bus.reportMetrics(every: .seconds(10))
        /// let group = ServiceGroup(services: [reporter, bus, server], gracefulShutdownSignals: [.sigterm], logger: logger)
        /// ```
        ///
        /// - Parameters:
        ///   - interval: how often ``MetricsReporter/run()`` reads the queues.
        ///   - factory: where metrics are made; by default the task's or the bootstrapped factory.
        /// - Returns: the reporter; ``MetricsReporter/cancel()`` stops counting handler calls.
        public func reportMetrics(
            every interval: Duration = .seconds(10),
            factory: any MetricsFactory = MetricsSystem.factory
        ) -> MetricsReporter {
            MetricsReporter(bus: self, interval: interval, factory: factory)
        }
    }
#endif
