#if TracingSupport
    import EventLog
    import EventQueue
    import Tracing

    /// Carries trace context from publishers to handlers through the event's headers (trait
    /// `TracingSupport`); install it with ``Bus/use(_:for:)``.
    ///
    /// On publish, the publisher's `ServiceContext` (the current span, for example an HTTP
    /// request's) is injected into ``EventMetadata/headers`` by the bootstrapped (or task-local)
    /// instrument, before any mailbox stores the event. Around every handler the bus runs, the context
    /// is extracted again and the handler runs inside a span of kind `consumer` named
    /// `process <mailbox>`: a child of the producer's span, in the same trace, and linked to it,
    /// with `messaging.*` attributes. A durable mailbox stores the headers with the event, so a
    /// handler that gets it after a restart continues the same trace. Events published from inside
    /// the handler carry the consumer span's context on.
    ///
    /// ```swift
    /// bus.use(EventTracingMiddleware())
    /// ```
    ///
    /// Deliveries you iterate yourself are not wrapped (the bus does not run that code): extract
    /// their context with ``EventHeadersExtractor``.
    public struct EventTracingMiddleware: Middleware {
        /// Creates the middleware.
        public init() {}

        /// Injects the current `ServiceContext`, if any, into the event's headers.
        public func willPublish(_ envelope: inout PublishEnvelope) throws {
            guard let context = ServiceContext.current else { return }
            var headers = envelope.metadata.headers
            InstrumentationSystem.instrument.inject(context, into: &headers, using: EventHeadersInjector())
            envelope.metadata.headers = headers
        }

        /// Runs the handler in a consumer span, a child of the producer's span and linked to it.
        public func invoke(_ invocation: HandlerInvocation, next: () async throws -> Void) async throws {
            var extracted = ServiceContext.topLevel
            InstrumentationSystem.instrument.extract(
                invocation.metadata.headers,
                into: &extracted,
                using: EventHeadersExtractor()
            )
            let producer = extracted
            let destination = invocation.mailbox.map(MessagingNames.destination) ?? invocation.eventName
            let linked = !producer.isEmpty
            try await withSpan("process \(destination)", context: producer, ofKind: .consumer) { span in
                if linked { span.addLink(SpanLink(context: producer, attributes: [:])) }
                span.updateAttributes { attributes in
                    attributes.set(MessagingNames.systemKey, value: .string(MessagingNames.system))
                    attributes.set("messaging.operation.type", value: .string("process"))
                    attributes.set(MessagingNames.destinationKey, value: .string(destination))
                    attributes.set("messaging.message.id", value: .string(invocation.metadata.id.description))
                    if let correlationID = invocation.metadata.correlationID {
                        attributes.set("messaging.message.conversation_id", value: .string(correlationID))
                    }
                    attributes.set(MessagingNames.eventName, value: .string(invocation.eventName))
                    attributes.set(MessagingNames.attempt, value: .int64(Int64(invocation.metadata.attempt)))
                }
                try await next()
            }
        }
    }
#endif
