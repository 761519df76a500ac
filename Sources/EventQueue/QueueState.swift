import EventLog

/// Continuations and timer work gathered under the lock and performed after it is released.
struct QueueEffects {
    /// The first consumer to wake: most wake-ups wake one, and an array of one costs a malloc.
    var consumer: UnsafeContinuation<Void, Never>?
    /// Consumers to wake after the first.
    var consumers: [UnsafeContinuation<Void, Never>] = []
    var producers: [(CheckedContinuation<Bool, any Error>, Result<Bool, QueueError>)] = []
    var drained: [CheckedContinuation<Void, Never>] = []
    var startTimer: Tick?
    var cancelTimer: Task<Void, Never>?
    /// Events moved to the dead letters, for the queue's dead-letter observer (only with one).
    var buried: [DeadLetterNote] = []
    var deadLetterObserver: (@Sendable (DeadLetterNote) -> Void)?

    /// Adds a consumer to wake.
    mutating func wake(_ continuation: UnsafeContinuation<Void, Never>) {
        if consumer == nil {
            consumer = continuation
        } else {
            consumers.append(continuation)
        }
    }

    var isEmpty: Bool {
        consumer == nil && consumers.isEmpty && producers.isEmpty && drained.isEmpty && startTimer == nil
            && cancelTimer == nil
            && buried.isEmpty
    }
}

/// An event moved to the dead letters: its id, the attempts made, and why.
package struct DeadLetterNote: Sendable {
    package let id: EventID
    package let attempts: Int
    package let reason: String
}

/// What admitting an event decided.
enum Admission {
    case done(EnqueueOutcome)
    /// The queue has storage: room is reserved until the storage has the event.
    case reserved(EnqueueOutcome)
    /// Full under `.suspendPublisher`: wait with this waiter id.
    case wait(UInt64)
    case failed(QueueError)
}

/// What a failed delivery turned into, for the storage call that follows.
enum FailureOutcome {
    case retry(EventID, at: Tick?)
    case deadLettered(EventID, reason: String, policy: DeadLetterPolicy)
}

struct ProducerWaiter {
    var id: UInt64
    var eventID: EventID
    var continuation: CheckedContinuation<Bool, any Error>
}

/// Everything a ``WorkQueue`` guards with its mutex.
struct QueueState {
    let limit: Int
    let tracked: Bool
    let visibilityTimeout: Duration?
    let retry: RetryPolicy
    let deadLetterPolicy: DeadLetterPolicy
    let clock: any QueueClock

    var lanes = [RingBuffer<LaneEntry>](repeating: RingBuffer(), count: 3)
    var starvation = [0, 0, 0]
    var ready = 0
    var delayed = MinHeap<QueueEntry>()
    var inFlight: [UInt64: QueueEntry] = [:]
    /// The visibility deadline of each delivery that has one, earliest first (consumers of a
    /// shared queue may ask for different timeouts, so deadlines do not arrive in order).
    var visibility = MinHeap<UInt64>()
    /// The settings of the consumer that took each in-flight delivery, when it brought its own
    /// (``ConsumerSettings``); empty for a queue whose consumers use its configuration.
    var settings: [UInt64: ConsumerSettings] = [:]
    var reserved = 0
    var nextTag: UInt64 = 0
    var deadLetters = RingBuffer<DeadLetter<any BoxedElement>>()
    /// Stored records the storage could not turn into elements (another type, a newer version, a
    /// missing key): dead letters kept as bytes, never delivered, counted with the others.
    var unreadable: [UnreadableRecord] = []
    var dedup: DedupFilter?
    /// Waiting consumers. Unsafe continuations: a checked one allocates a canary per wait, and
    /// each is resumed exactly once, by whoever removes it from here under the lock.
    var consumers = RingBuffer<(id: UInt64, continuation: UnsafeContinuation<Void, Never>)>()
    var producers = RingBuffer<ProducerWaiter>()
    var drainWaiters: [(id: UInt64, includeDelayed: Bool, continuation: CheckedContinuation<Void, Never>)] = []
    /// Events handed out by ``WorkQueue/next(maxCount:)`` whose handling has not been reported
    /// complete (only counted when `trackCompletion` is on).
    var outstanding = 0
    /// Told of every event moved to the dead letters (the bus logs them).
    var deadLetterObserver: (@Sendable (DeadLetterNote) -> Void)?
    /// Events of an untracked queue (automatic acknowledgement) handed out and not yet reported
    /// handled: in flight, acknowledged when the consumer asks for more or completes them.
    var handedOut = 0
    var trackCompletion = false
    var nextWaiterID: UInt64 = 0
    var closed = false
    var terminated = false
    var armed: Tick?
    /// Storage shared with other processes (``QueueStorage/isShared``): a failed delivery goes
    /// back to the store instead of back into a lane.
    var shared = false
    /// ``WorkQueue/waitForDemand()``: resumed when a consumer waits on a queue with nothing ready.
    var demandWaiters: [CheckedContinuation<Void, Never>] = []
    var timerTask: Task<Void, Never>?
    var random: SplitMix64

    var enqueued: UInt64 = 0
    var delivered: UInt64 = 0
    var acked: UInt64 = 0
    var nacked: UInt64 = 0
    var retried: UInt64 = 0
    var dropped: UInt64 = 0
    var deduplicated: UInt64 = 0
    var deadLettered: UInt64 = 0
    var deadLettersDiscarded: UInt64 = 0
    /// Waiting events deleted by ``WorkQueue/purge()``.
    var purged: UInt64 = 0
    /// What the storage found when the queue opened on it.
    var recovery: RecoveryReport?
    /// Deliveries handed out although storage could not record their attempt (a full disk).
    var attemptsNotRecorded: UInt64 = 0
    /// Bumped by `interruptConsumers()`: a consumer that was waiting returns with nothing.
    var interruptions: UInt64 = 0
    var latency = LatencyHistogram()
    var arrivals: RateMeter
    var consumption: RateMeter

    init(configuration: QueueConfiguration, now: Tick) {
        limit = configuration.capacity.limit
        if case .explicit(let timeout) = configuration.acknowledgement {
            tracked = true
            visibilityTimeout = timeout
        } else {
            tracked = false
            visibilityTimeout = nil
        }
        retry = configuration.retry
        deadLetterPolicy = configuration.deadLetter
        clock = configuration.clock
        dedup = configuration.dedup.map(DedupFilter.init(window:))
        arrivals = RateMeter(now: now)
        consumption = RateMeter(now: now)
        var seed = SystemRandomNumberGenerator()
        random = SplitMix64(seed: seed.next())
    }

    /// Events that count against the capacity.
    var held: Int { ready + delayed.count + inFlight.count + reserved }

    var isDrained: Bool { isQuiescent && delayed.isEmpty }

    /// Nothing can progress without time passing: nothing ready, reserved, in flight or being handled.
    var isQuiescent: Bool { ready == 0 && inFlight.isEmpty && reserved == 0 && outstanding == 0 }

    func satisfies(includeDelayed: Bool) -> Bool {
        if includeDelayed { return isDrained }
        guard isQuiescent else { return false }
        guard let due = delayed.minKey else { return true }
        return due > Tick(clock.now)
    }
}
