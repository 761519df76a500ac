import EventLog
import Foundation

/// An exponentially weighted events-per-second estimate, folded in 100 ms windows
/// with a 5 s time constant.
struct RateMeter {
    private static let windowNanoseconds: Int64 = 100_000_000
    private static let timeConstant = 5.0
    private var start: Tick
    private var pending: UInt64 = 0
    private var estimate: Double = 0
    private var primed = false

    init(now: Tick) {
        start = now
    }

    mutating func record(_ events: UInt64, now: Tick) {
        fold(now: now)
        pending += events
    }

    mutating func rate(now: Tick) -> Double {
        fold(now: now)
        return estimate
    }

    private mutating func fold(now: Tick) {
        let elapsed = now - start
        guard elapsed >= Self.windowNanoseconds else { return }
        let seconds = Double(elapsed) / 1e9
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
