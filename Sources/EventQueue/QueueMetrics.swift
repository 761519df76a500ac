import EventLog

/// A snapshot of one queue, following the queue model Q(t) = Q(0) + (R − C)·t.
public struct QueueMetrics: Sendable, Hashable {
    /// The queue's name (the mailbox or channel it belongs to).
    public var name: String
    /// Events ready for delivery now: Q(t).
    public var depth: Int
    /// Events waiting for their delivery time (delayed or backing off before a retry).
    public var delayed: Int
    /// Events handed to a consumer and not yet settled. With automatic acknowledgement these are
    /// the events a consumer has taken (its fetched-ahead batch included) and not yet reported
    /// handled. `depth + delayed + inFlight + acked + deadLettered + dropped + purged` (less those
    /// requeued from the dead letters) accounts for every accepted event.
    public var inFlight: Int
    /// Events handed to a handler the bus runs that has not finished with them yet.
    public var handling: Int
    /// The bound, or nil when unbounded.
    public var capacity: Int?
    /// Events accepted.
    public var enqueued: UInt64
    /// Deliveries handed to consumers (retries included).
    public var delivered: UInt64
    /// Deliveries acknowledged (for queues without acknowledgement: handed out).
    public var acked: UInt64
    /// Deliveries that failed (nack, thrown error or visibility timeout).
    public var nacked: UInt64
    /// Failed deliveries scheduled for another attempt.
    public var retried: UInt64
    /// Events dropped by an overflow policy.
    public var dropped: UInt64
    /// Events refused by the dedup window.
    public var deduplicated: UInt64
    /// Events moved to the dead letters.
    public var deadLettered: UInt64
    /// Dead letters currently kept.
    public var deadLetters: Int
    /// Dead letters discarded because the keep limit was reached.
    public var deadLettersDiscarded: UInt64
    /// Waiting events (ready or delayed) an operator deleted (`Bus.purgeMailbox(_:)`).
    public var purged: UInt64
    /// Deliveries handed out although a durable mailbox could not record their attempt (its
    /// disk was full): a crash during them is not counted against the event.
    public var attemptsNotRecorded: UInt64
    /// What a durable mailbox found and repaired when it opened (nil for in-memory queues).
    public var recovery: RecoveryReport?
    /// Producers currently waiting for room.
    public var waitingProducers: Int
    /// Consumers currently waiting for an event.
    public var waitingConsumers: Int
    /// Arrival rate R: events accepted per second over the last 4.5 s of complete 500 ms
    /// buckets (zero five seconds after the last arrival).
    public var arrivalRate: Double
    /// Consume rate C: events settled (acknowledged, or handled with automatic acknowledgement)
    /// per second over the same window.
    public var consumeRate: Double
    /// Enqueue-to-acknowledgement latency.
    public var latency: LatencySummary

    /// Zero everything, with a name (a starting point for sums).
    public init(name: String) {
        self.name = name
        depth = 0
        delayed = 0
        inFlight = 0
        handling = 0
        capacity = 0
        enqueued = 0
        delivered = 0
        acked = 0
        nacked = 0
        retried = 0
        dropped = 0
        deduplicated = 0
        deadLettered = 0
        deadLetters = 0
        deadLettersDiscarded = 0
        purged = 0
        attemptsNotRecorded = 0
        recovery = nil
        waitingProducers = 0
        waitingConsumers = 0
        arrivalRate = 0
        consumeRate = 0
        latency = .empty
    }

    init(
        name: String,
        depth: Int,
        delayed: Int,
        inFlight: Int,
        handling: Int,
        capacity: Int?,
        enqueued: UInt64,
        delivered: UInt64,
        acked: UInt64,
        nacked: UInt64,
        retried: UInt64,
        dropped: UInt64,
        deduplicated: UInt64,
        deadLettered: UInt64,
        deadLetters: Int,
        deadLettersDiscarded: UInt64,
        purged: UInt64 = 0,
        attemptsNotRecorded: UInt64,
        recovery: RecoveryReport?,
        waitingProducers: Int,
        waitingConsumers: Int,
        arrivalRate: Double,
        consumeRate: Double,
        latency: LatencySummary
    ) {
        self.name = name
        self.depth = depth
        self.delayed = delayed
        self.inFlight = inFlight
        self.handling = handling
        self.capacity = capacity
        self.enqueued = enqueued
        self.delivered = delivered
        self.acked = acked
        self.nacked = nacked
        self.retried = retried
        self.dropped = dropped
        self.deduplicated = deduplicated
        self.deadLettered = deadLettered
        self.deadLetters = deadLetters
        self.deadLettersDiscarded = deadLettersDiscarded
        self.purged = purged
        self.attemptsNotRecorded = attemptsNotRecorded
        self.recovery = recovery
        self.waitingProducers = waitingProducers
        self.waitingConsumers = waitingConsumers
        self.arrivalRate = arrivalRate
        self.consumeRate = consumeRate
        self.latency = latency
    }

    /// What the queue model predicts from depth, R and C: for a bounded queue whose backlog grows,
    /// when it is full (its bound counts ready, delayed and in-flight events).
    public var forecast: Forecast {
        Forecast(
            depth: depth + delayed,
            arrivalRate: arrivalRate,
            consumeRate: consumeRate,
            room: capacity.map { $0 - depth - delayed - inFlight }
        )
    }

    /// Adds the counters and depths of `other` (rates add; latency keeps the larger quantiles).
    public mutating func absorb(_ other: QueueMetrics) {
        depth += other.depth
        delayed += other.delayed
        inFlight += other.inFlight
        handling += other.handling
        capacity = capacity.flatMap { mine in other.capacity.map { mine + $0 } }
        enqueued += other.enqueued
        delivered += other.delivered
        acked += other.acked
        nacked += other.nacked
        retried += other.retried
        dropped += other.dropped
        deduplicated += other.deduplicated
        deadLettered += other.deadLettered
        deadLetters += other.deadLetters
        deadLettersDiscarded += other.deadLettersDiscarded
        purged += other.purged
        attemptsNotRecorded += other.attemptsNotRecorded
        waitingProducers += other.waitingProducers
        waitingConsumers += other.waitingConsumers
        arrivalRate += other.arrivalRate
        consumeRate += other.consumeRate
        latency = latency.merged(with: other.latency)
    }
}

/// The prediction of Q(t) = Q(0) + (R − C)·t.
public enum Forecast: Sendable, Hashable, CustomStringConvertible {
    /// Nothing waits and nothing arrives.
    case idle
    /// At the current rates the backlog is gone after this many seconds.
    case drains(inSeconds: Double)
    /// Arrivals outpace consumption: the backlog grows by this many events per second (an
    /// unbounded queue, or one whose room is not known).
    case grows(perSecond: Double)
    /// Arrivals outpace consumption in a bounded queue: at the current rates it is full after this
    /// many seconds (0: full now), and then its overflow policy applies.
    case fills(inSeconds: Double)
    /// A backlog that neither grows nor shrinks (R ≈ C, or nothing is consumed and nothing arrives).
    case steady(depth: Int)

    /// Applies the queue model.
    ///
    /// - Parameters:
    ///   - depth: the backlog: events ready and delayed.
    ///   - arrivalRate: R, events accepted a second.
    ///   - consumeRate: C, events settled a second.
    ///   - room: how many more events a bounded queue takes before it is full; nil for an
    ///     unbounded queue. With room, a growing backlog is ``fills(inSeconds:)`` (`room / (R − C)`),
    ///     not ``grows(perSecond:)``.
    public init(depth: Int, arrivalRate: Double, consumeRate: Double, room: Int? = nil) {
        let net = arrivalRate - consumeRate
        let tolerance = max(0.01, 0.01 * max(arrivalRate, consumeRate))
        if depth == 0 && arrivalRate < 0.01 {
            self = .idle
        } else if net > tolerance {
            if let room {
                self = .fills(inSeconds: Double(max(0, room)) / net)
            } else {
                self = .grows(perSecond: net)
            }
        } else if net < -tolerance {
            self = .drains(inSeconds: Double(depth) / -net)
        } else {
            self = depth == 0 ? .idle : .steady(depth: depth)
        }
    }

    /// "drains in 1.2 s", "grows by 300/s", "full in 180.0 s", "idle", "steady at 12".
    public var description: String {
        switch self {
        case .idle: "idle"
        case .drains(let seconds): "drains in \(formatDecimal(seconds, places: 1)) s"
        case .grows(let rate): "grows by \(formatDecimal(rate, places: 0))/s"
        case .fills(let seconds): "full in \(formatDecimal(seconds, places: 1)) s"
        case .steady(let depth): "steady at \(depth)"
        }
    }
}

/// Formats `value` with a fixed number of decimal places, without Foundation.
package func formatDecimal(_ value: Double, places: Int) -> String {
    guard value.isFinite else { return value.description }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let rounded = (abs(value) * scale).rounded()
    let whole = Int(rounded / scale)
    let fraction = Int(rounded - Double(whole) * scale)
    let sign = value < 0 && rounded > 0 ? "-" : ""
    guard places > 0 else { return sign + String(whole) }
    let digits = String(fraction)
    return sign + String(whole) + "." + String(repeating: "0", count: places - digits.count) + digits
}
