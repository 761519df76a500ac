#if TracingSupport
    import Tracing

    /// Reads trace context from an event's headers (``EventMetadata/headers``), for an
    /// `Instrument`'s `extract(_:into:using:)` (trait `TracingSupport`). Use it where the bus does
    /// not run the handler — deliveries you iterate yourself — to continue the producer's trace.
    public struct EventHeadersExtractor: Extractor {
        /// Creates the extractor.
        public init() {}

        /// The header `key`, if present.
        public func extract(key: String, from carrier: [String: String]) -> String? {
            carrier[key]
        }
    }
#endif
