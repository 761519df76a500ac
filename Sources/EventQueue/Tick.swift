import EventLog

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point on a queue's clock: whole nanoseconds from a fixed origin.
///
/// The queue's state keeps every time as a `Tick` rather than a `ContinuousClock.Instant`.
/// `Instant` is a resilient standard-library type, so outside the standard library each copy,
/// comparison and optional check of one goes through value witnesses (measured: a fifth of an
/// enqueue). A `Tick` is eight bytes the compiler sees through. Conversions happen once per
/// queue operation, where the clock is read.
package struct Tick: Hashable, Comparable, Sendable {
    /// Nanoseconds from ``origin``.
    var nanoseconds: Int64

    /// The fixed instant ticks count from (an immutable constant), and the system clock's reading
    /// at that instant (read back to back), for ``systemNow()``.
    private static let base: (origin: ContinuousClock.Instant, raw: Int64) = (ContinuousClock.now, rawContinuous())

    /// The fixed instant ticks count from.
    private static var origin: ContinuousClock.Instant { base.origin }

    /// The clock `ContinuousClock` reads, in nanoseconds: `CLOCK_BOOTTIME` on Linux (the Swift
    /// runtime's continuous clock), `CLOCK_MONOTONIC_RAW` on Darwin. The two readings of `base`
    /// are taken back to back, so ticks from here and from an `Instant` agree to within
    /// nanoseconds (were the runtime ever to read another clock, they would still agree on a
    /// machine that does not suspend).
    private static func rawContinuous() -> Int64 {
        var time = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_BOOTTIME, &time)
        #else
            clock_gettime(CLOCK_MONOTONIC_RAW, &time)
        #endif
        return Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec)
    }

    /// `Tick(ContinuousClock.now)` without the `Instant` and `Duration` arithmetic (128-bit
    /// attoseconds, a division per reading): a fifth of a mailbox's clock reads' cost.
    static func systemNow() -> Tick {
        Tick(nanoseconds: rawContinuous() &- base.raw)
    }

    init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The tick of an instant (saturating beyond ±292 years from the origin).
    package init(_ instant: ContinuousClock.Instant) {
        nanoseconds = EventLog.nanoseconds(instant - Self.origin)
    }

    /// The instant of this tick.
    package var instant: ContinuousClock.Instant { Self.origin + .nanoseconds(nanoseconds) }

    /// Whether `lhs` comes first.
    package static func < (lhs: Tick, rhs: Tick) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The tick `duration` later (saturating).
    package static func + (lhs: Tick, rhs: Duration) -> Tick {
        Tick(
            nanoseconds: lhs.nanoseconds.addingReportingOverflow(EventLog.nanoseconds(rhs)).overflow
                ? .max : lhs.nanoseconds + EventLog.nanoseconds(rhs)
        )
    }

    /// Nanoseconds from `rhs` to `lhs` (saturating).
    static func - (lhs: Tick, rhs: Tick) -> Int64 {
        let (difference, overflow) = lhs.nanoseconds.subtractingReportingOverflow(rhs.nanoseconds)
        return overflow ? (lhs > rhs ? .max : .min) : difference
    }
}
