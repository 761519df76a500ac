#if TracingSupport
    import EventBus
    import Foundation
    import InMemoryTracing
    import Testing
    import Tracing

    @Suite struct TracingTests {
        @Test func aHandlerRunsInAConsumerSpanChildOfAndLinkedToThePublisher() async throws {
            let tracer = InMemoryTracer()
            let nested = Seen<String>()
            let mailbox = try await withTracer(tracer) {
                let bus = Bus()
                bus.use(EventTracingMiddleware())
                let consumer = try await bus.consume(Ping.self) { ping in
                    // The handler's context is its span's: what it publishes continues the trace.
                    nested.append(ServiceContext.current?.inMemorySpanContext?.spanID ?? "none")
                }
                _ = try await withSpan("POST /orders") { _ in
                    try await bus.publish(Ping(number: 1))
                }
                await bus.waitUntilIdle()
                await bus.shutdown()
                return consumer.mailbox
            }
            let spans = tracer.finishedSpans
            let request = try #require(spans.first { $0.operationName == "POST /orders" })
            let process = try #require(spans.first { $0.operationName == "process \(mailbox)" })
            #expect(process.kind == .consumer)
            #expect(process.traceID == request.traceID)
            #expect(process.parentSpanID == request.spanID)
            #expect(process.links.count == 1)
            #expect(process.links.first?.context.inMemorySpanContext?.spanID == request.spanID)
            #expect(process.attributes.get("messaging.system") == .string("eventbus"))
            #expect(process.attributes.get("messaging.destination.name") == .string(mailbox))
            #expect(process.attributes.get("messaging.operation.type") == .string("process"))
            #expect(nested.values == [process.spanID])
        }

        @Test func aHandlerThatThrowsRecordsTheErrorOnItsSpan() async throws {
            let tracer = InMemoryTracer()
            try await withTracer(tracer) {
                let bus = Bus()
                bus.use(EventTracingMiddleware())
                try await bus.consume(Ping.self) { ping in throw Refused(number: ping.number) }
                try await bus.publish(Ping(number: 3))
                await bus.waitUntilIdle()
                await bus.shutdown()
            }
            let process = try #require(tracer.finishedSpans.first { $0.kind == .consumer })
            #expect(process.errors.count == 1)
            #expect(process.errors.first?.error is Refused)
        }

        /// The context travels in the headers, which a durable mailbox stores: a handler that gets
        /// the event after a restart continues the publisher's trace.
        @Test func theTraceSurvivesADurableRestart() async throws {
            let directory = try scratchDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "traced", directory: directory)
            let tracer = InMemoryTracer()
            try await withTracer(tracer) {
                let bus = Bus()
                bus.use(EventTracingMiddleware())
                let detached = try await bus.subscribe(Ping.self, mailbox: mailbox)
                _ = try await withSpan("POST /orders") { _ in
                    try await bus.publish(Ping(number: 1))
                }
                detached.cancel()
                await bus.shutdown(draining: .zero)
            }
            let headers = Seen<[String: String]>()
            try await withTracer(tracer) {
                let bus = Bus()
                bus.use(EventTracingMiddleware())
                try await bus.consume(Ping.self, mailbox: mailbox) { _ in
                    headers.append(EventContext.current?.metadata.headers ?? [:])
                }
                await bus.waitUntilIdle()
                await bus.shutdown()
            }
            let request = try #require(tracer.finishedSpans.first { $0.operationName == "POST /orders" })
            let process = try #require(tracer.finishedSpans.first { $0.operationName == "process traced" })
            #expect(headers.values.first?[InMemoryTracer.spanIDKey] == request.spanID)
            #expect(process.traceID == request.traceID)
            #expect(process.parentSpanID == request.spanID)
            #expect(process.links.first?.context.inMemorySpanContext?.spanID == request.spanID)
        }

        @Test func withoutAContextNothingIsInjected() async throws {
            let tracer = InMemoryTracer()
            let headers = try await withTracer(tracer) {
                let bus = Bus()
                bus.use(EventTracingMiddleware())
                let deliveries = try await bus.subscribe(Ping.self)
                try await bus.publish(Ping(number: 1))
                var iterator = deliveries.makeAsyncIterator()
                let delivery = try #require(try await iterator.next())
                await bus.shutdown()
                return delivery.metadata.headers
            }
            #expect(headers.isEmpty)
            #expect(tracer.performedContextInjections.isEmpty)
        }
    }
#endif
