#if TracingSupport
    import Tracing

    /// Writes trace context into an event's headers (``EventMetadata/headers``), for an
    /// `Instrument`'s `inject(_:into:using:)` (trait `TracingSupport`).
    public struct EventHeadersInjector: Injector {
        /// Creates the injector.
        public init() {}

        /// Sets the header `key` to `value`.
        public func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
            carrier[key] = value
        }
    }
#endif
