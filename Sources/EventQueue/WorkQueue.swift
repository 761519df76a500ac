import EventLog
import Synchronization

/// The in-process queue core: a bounded, prioritised, acknowledging queue of values.
///
/// Producers enqueue under a mutex, without an actor hop; consumers take batches, so a busy
/// queue costs one wake-up per batch rather than per event. Every mailbox, point-to-point
/// channel and scheduler in EventBus is one of these.
///
/// - Ordering: FIFO within a ``Priority`` lane. A retried event rejoins the back of its lane.
/// - Bounds: ``Capacity``; ready, delayed, in-flight and reserved events all count.
/// - Acknowledgement: ``AcknowledgementMode``; with `.explicit`, ``ack(_:)`` and
///   ``nack(_:reason:)`` settle a lease, ``RetryPolicy`` and ``DeadLetterPolicy`` decide what
///   a failure becomes.
@usableFromInline
package final class WorkQueue<Element: Sendable>: Sendable {
    /// The queue's name, used in metrics.
    package let name: String
    /// The settings it was created with.
    @usableFromInline package let configuration: QueueConfiguration
    let storage: (any QueueStorage<Element>)?
    let clock: any QueueClock
    /// Whether `clock` is the system clock, read directly as a ``Tick`` (``now()``).
    let systemClock: Bool
    let state: Locked<QueueState>

    /// Creates an in-memory queue.
    package init(name: String, configuration: QueueConfiguration = QueueConfiguration()) {
        self.name = name
        self.configuration = configuration
        self.storage = nil
        self.clock = configuration.clock
        self.systemClock = configuration.clock is SystemQueueClock
        self.state = Locked(QueueState(configuration: configuration, now: Tick(configuration.clock.now)))
    }

    init(name: String, configuration: QueueConfiguration, storage: any QueueStorage<Element>) {
        self.name = name
        self.configuration = configuration
        self.storage = storage
        self.clock = configuration.clock
        self.systemClock = configuration.clock is SystemQueueClock
        var state = QueueState(configuration: configuration, now: Tick(configuration.clock.now))
        state.shared = storage.isShared
        self.state = Locked(state)
    }

    // MARK: Type erasure

    /// An element as the queue core holds it: in a box of its own, one reference whatever its
    /// type (a ``QueueEntry`` stays small, and copying it is one retain).
    @inlinable
    package static func box(_ element: Element) -> any BoxedElement {
        ElementBox(element)
    }

    /// The element as the caller gave it. The state holds only elements that came in through
    /// this queue's typed API (boxed by ``box(_:)``), so the downcast cannot fail.
    @inlinable
    package static func typed(_ element: any BoxedElement) -> Element {
        unsafeDowncast(element, to: ElementBox<Element>.self).value
    }

    static func typed(_ lease: Lease<any BoxedElement>) -> Lease<Element> {
        Lease(
            element: typed(lease.element),
            id: lease.id,
            priority: lease.priority,
            attempt: lease.attempt,
            tag: lease.tag
        )
    }

    /// The queue clock's reading now.
    @inline(__always)
    func now() -> Tick {
        systemClock ? Tick.systemNow() : Tick(clock.now)
    }

    // MARK: Effects and timers

    func perform(_ effects: QueueEffects) {
        effects.consumer?.resume()
        for continuation in effects.consumers { continuation.resume() }
        for (continuation, result) in effects.producers {
            continuation.resume(with: result.mapError { $0 as any Error })
        }
        for continuation in effects.drained { continuation.resume() }
        effects.cancelTimer?.cancel()
        if let deadline = effects.startTimer { startTimer(at: deadline) }
        if let observer = effects.deadLetterObserver {
            for note in effects.buried { observer(note) }
        }
    }

    /// Tells `observer` of every event this queue moves to its dead letters from now on — after a
    /// nack, a visibility timeout or crashes — except those a nack marked as reported already.
    package func observeDeadLetters(_ observer: @escaping @Sendable (DeadLetterNote) -> Void) {
        state.withLock { $0.deadLetterObserver = observer }
    }

    func startTimer(at deadline: Tick) {
        let clock = self.clock
        let task = Task { [weak self] in
            do {
                try await clock.sleep(until: deadline.instant)
            } catch {
                return
            }
            await self?.fireTimers()
        }
        state.withLock { state in
            if state.armed == deadline && state.timerTask == nil {
                state.timerTask = task
            }
        }
    }

    /// Handles due delays and expired visibility timeouts now (the timer calls this; tests
    /// driving a manual clock may call it too).
    package func fireTimers() async {
        let now = self.now()
        var effects = QueueEffects()
        let outcomes = state.withLock { state -> [FailureOutcome] in
            guard !state.terminated else { return [] }
            return state.fireTimers(now: now, effects: &effects)
        }
        perform(effects)
        try? await persist(outcomes)
    }

    func tick(from wall: WallClockInstant?) -> Tick? {
        guard let wall else { return nil }
        let offset = wall.nanosecondsSinceEpoch - WallClockInstant.now().nanosecondsSinceEpoch
        return self.now() + .nanoseconds(offset)
    }

    func wallClock(from instant: ContinuousClock.Instant?) -> WallClockInstant? {
        wallClock(from: instant.map(Tick.init))
    }

    func wallClock(from tick: Tick?) -> WallClockInstant? {
        guard let tick else { return nil }
        let offset = tick - self.now()
        return WallClockInstant(nanosecondsSinceEpoch: WallClockInstant.now().nanosecondsSinceEpoch + offset)
    }
}
