#if MetricsSupport && ServiceLifecycleSupport
    import ServiceLifecycle

    // Traits MetricsSupport and ServiceLifecycleSupport: the reporter runs in a `ServiceGroup`.
    extension MetricsReporter: Service {}

    extension MetricsReporter {
        /// Runs `body` until the task is cancelled or a graceful shutdown begins.
        func withGracefulShutdownOrCancellation(_ body: @escaping @Sendable () async -> Void) async {
            await cancelWhenGracefulShutdown { await body() }
        }
    }
#endif
