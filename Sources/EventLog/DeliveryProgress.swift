/// What a log says about one event's deliveries, replayed record by record: how many attempts
/// count, whether one was cut off by a crash, and whether it is dead. Recovery and the inspector
/// replay the same way.
///
/// An attempt counts once it is settled as a failure (a reschedule or a dead letter). One given
/// back unfinished (`release`, written at a clean shutdown) does not count. One that was still
/// open when the process stopped — or when the next attempt started — was cut off by a crash:
/// it counts as a crash, not as an attempt.
package struct DeliveryProgress: Sendable, Hashable {
    /// Attempts that count (the next delivery is attempt `attempts + 1`).
    package private(set) var attempts: UInt32
    /// Deliveries cut off by a crash since the event was appended or last requeued.
    package private(set) var crashes: UInt32 = 0
    /// The highest attempt started.
    private var started: UInt32
    /// An attempt started and has not settled.
    private var open = false
    /// The dead letter's reason, if the event is dead.
    package private(set) var deadReason: String?
    /// When it became a dead letter (nanoseconds since the epoch), if the log recorded it.
    package private(set) var deadAt: Int64?
    /// When the next attempt may start (nanoseconds since the epoch).
    package private(set) var notBefore: Int64?

    /// An event as its append record states it.
    package init(attempts: UInt32, notBefore: Int64?) {
        self.attempts = attempts
        self.started = attempts
        self.notBefore = notBefore
    }

    /// Applies a record about this event (not its append, nor its ack).
    package mutating func apply(_ record: LogRecord) {
        switch record {
        case .attempt(_, let attempt):
            if open { crashes += 1 }
            started = max(started, attempt)
            open = true
        case .reschedule(_, let due):
            settleOpenAttempt()
            notBefore = due
        case .dead(_, let reason, let at):
            settleOpenAttempt()
            deadReason = reason
            deadAt = at
        case .release:
            // Given back unfinished: the attempt in progress does not count.
            open = false
            started = attempts
        case .requeue:
            open = false
            attempts = 0
            started = 0
            crashes = 0
            deadReason = nil
            deadAt = nil
            notBefore = nil
        case .append, .ack, .seen:
            break
        }
    }

    /// The state once the log ends: an attempt still open was cut off by the stop.
    package var afterStop: DeliveryProgress {
        var copy = self
        if copy.open {
            copy.crashes += 1
            copy.open = false
            copy.started = copy.attempts
        }
        return copy
    }

    /// Whether an attempt has started and not settled.
    package var isInFlight: Bool { open }

    /// The attempt started last is over and counts.
    private mutating func settleOpenAttempt() {
        attempts = max(attempts, started)
        open = false
    }
}
