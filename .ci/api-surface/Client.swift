// Compiled by .ci/api-surface as a client of the package would be: with `import EventBus` (and the
// test kit) alone, every type the guides use can be named.
import EventBus
import EventBusTesting
import Foundation

struct OrderPlaced: Event, Codable { let id: Int }
struct Blob: DataEvent { let data: Data }
struct Line: TextEvent { let text: String }
struct GetQuote: Request {
    typealias Response = Int
    let symbol: String
}

actor Inventory: EventHandler {
    static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
        handlers.handle(OrderPlaced.self) { _, _ in }
    }
}

func everyGuideType(_ bus: Bus) async throws {
    let configuration: BusConfiguration = BusConfiguration(
        defaultMailbox: Mailbox.memory(Capacity.bounded(10, overflow: OverflowPolicy.dropOldest)),
        clock: SystemQueueClock(),
        durableOptions: DurableMailboxOptions()
    )
    let _: any QueueClock = ManualClock()
    let _: Priority = .high
    let _: RetryPolicy = .exponential(maxAttempts: 3, initial: .milliseconds(10))
    let _: DeadLetterPolicy = .keep
    let _: DedupWindow = DedupWindow(count: 10)
    let _: SyncPolicy = .batched
    let _: Acknowledgement = .manual(visibilityTimeout: nil)
    let _: Strategy = .observer
    let _: DurableStore = .directory("/var/lib/shop", sync: .always)
    let _: Mailbox = .durable(name: "billing", directory: "/var/lib/shop")
    let _: DispatchPolicy = .roundRobin
    let subscription: Subscription = try bus.on(OrderPlaced.self) { _ in }
    let _: Subscription = try bus.on(OrderPlaced.self, inline: true) { order in
        let _: PublishReport = try bus.emit(Line(text: "\(order.id)"))
    }
    let _: [PublishReport] = try await bus.publish(
        contentsOf: [OrderPlaced(id: 1)],
        orderingKey: { "k\($0.id)" },
        id: { _ in nil }
    )
    let _: Int = Bus.inlineDepthLimit
    let _: Strategy = .inlineCallback
    subscription.cancel()
    let deliveries: Deliveries<OrderPlaced> = try await bus.subscribe(OrderPlaced.self)
    let consumer: Consumer<OrderPlaced> = try await bus.consume(OrderPlaced.self) { _ in }
    try await bus.declareMailbox(.durable(name: "billing", directory: "/var/lib/shop"), for: OrderPlaced.self)
    let metrics: QueueMetrics = consumer.metrics()
    let _: Forecast = metrics.forecast
    let _: LatencySummary = metrics.latency
    let _: RecoveryReport? = deliveries.recoveryReport
    let _: [DeadLetter<Envelope<OrderPlaced>>] = deliveries.deadLetters()
    let report: PublishReport = try await bus.publish(OrderPlaced(id: 1))
    let _: EventID = report.eventID
    let _: EventMetadata? = EventContext.current?.metadata
    let _: BusMetrics = bus.metrics()
    let _: BusStatistics = bus.statistics()
    let _: ShutdownReport = await bus.shutdown()
    let _: (any EventCodec<Blob>)? = DataEventCodec()
    let _: (any EventCodec<Line>)? = TextEventCodec()
    let _: (any EventCodec<OrderPlaced>)? = JSONEventCodec()
    let _: CodecError? = nil
    let letters: [StoredDeadLetter] = try await bus.deadLetters(
        of: .durable(name: "billing", directory: "/var/lib/shop")
    )
    let _: DeadLetterReason? = letters.first?.reason
    let _: StoredEventInfo? = letters.first?.info
    let _: Int = try await bus.requeueDeadLetters(ofMailboxNamed: "billing", ids: nil)
    let _: JSONUpcaster = JSONUpcaster(from: 1) { object in object.rename("a", to: "b") }
    let _: JSONValue = ["a": [1, "two", nil, true]]
    let _: StoreReport? = nil
    let _: StoreFailure = .diskFull(path: "/")
    let _: BusError = .shutDown
    let _: HandlerFailure.Type = HandlerFailure.self
    let _: DeadEvent.Type = DeadEvent.self
    let _: (any Middleware)? = CorrelationIDMiddleware()
    let _: PublishEnvelope.Type = PublishEnvelope.self
    let _: HandlerInvocation.Type = HandlerInvocation.self
    let _: EventRecorder.Type = EventRecorder.self
    _ = configuration
}
