import Foundation

/// An exponentially weighted events-per-second estimate, folded in 100 ms windows
/// with a 5 s time constant.
struct RateMeter {
    private static let window: Duration = .milliseconds(100)
    private static let timeConstant = 5.0
    private var start: ContinuousClock.Instant
    private var pending: UInt64 = 0
    private var estimate: Double = 0
    private var primed = false

    init(now: ContinuousClock.Instant) {
        start = now
    }

    mutating func record(_ events: UInt64, now: ContinuousClock.Instant) {
        fold(now: now)
        pending += events
    }

    mutating func rate(now: ContinuousClock.Instant) -> Double {
        fold(now: now)
        return estimate
    }

    private mutating func fold(now: ContinuousClock.Instant) {
        let elapsed = now - start
        guard elapsed >= Self.window else { return }
        let seconds = Double(nanoseconds(elapsed)) / 1e9
        let instant = Double(pending) / seconds
        if primed {
            let alpha = 1 - exp(-seconds / Self.timeConstant)
            estimate += alpha * (instant - estimate)
        } else {
            estimate = instant
            primed = true
        }
        pending = 0
        start = now
    }
}
