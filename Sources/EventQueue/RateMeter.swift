import EventLog

/// Events per second over a sliding window: the nine complete buckets of 500 ms before the one
/// now filling (4.5 s).
///
/// An event counts once its bucket is complete (0 to 0.5 s after it happened) and drops out 4.5 s
/// later, so a queue that stops receiving reads zero five seconds later (an exponentially
/// smoothed rate never quite gets there, and a forecast made from it says "grows" for an idle
/// queue). Only complete buckets are read, so events at the start of the bucket now filling do
/// not inflate the rate. A meter younger than the window divides by the complete buckets it has;
/// one younger than a bucket by its age, at least one bucket's span, so a burst in its first
/// milliseconds is not read as millions per second.
struct RateMeter {
    /// One bucket's span.
    static let bucketNanoseconds: Int64 = 500_000_000
    /// Buckets in the window.
    static let bucketCount = 10
    /// The window's span: what "per second" is averaged over.
    static var windowNanoseconds: Int64 { bucketNanoseconds * Int64(bucketCount) }

    private var counts: [UInt64]
    /// The bucket now filling.
    private var current = 0
    /// When the bucket now filling began.
    private var currentStart: Int64
    /// When the meter began.
    private let created: Int64
    /// The sum of `counts`.
    private var total: UInt64 = 0

    init(now: Tick) {
        created = now.nanoseconds
        currentStart = now.nanoseconds
        counts = [UInt64](repeating: 0, count: Self.bucketCount)
    }

    mutating func record(_ events: UInt64, now: Tick) {
        advance(to: now.nanoseconds)
        counts[current] &+= events
        total &+= events
    }

    mutating func rate(now: Tick) -> Double {
        advance(to: now.nanoseconds)
        guard total > 0 else { return 0 }
        let complete = min((currentStart - created) / Self.bucketNanoseconds, Int64(Self.bucketCount - 1))
        guard complete > 0 else {
            let age = max(now.nanoseconds - created, Self.bucketNanoseconds)
            return Double(counts[current]) / (Double(age) / 1e9)
        }
        let counted = total - counts[current]
        return Double(counted) / (Double(complete * Self.bucketNanoseconds) / 1e9)
    }

    /// Moves the window to `now`, emptying the buckets it leaves behind.
    private mutating func advance(to now: Int64) {
        let elapsed = now - currentStart
        guard elapsed >= Self.bucketNanoseconds else { return }
        let steps = elapsed / Self.bucketNanoseconds
        currentStart += steps * Self.bucketNanoseconds
        if steps >= Int64(Self.bucketCount) {
            for index in counts.indices { counts[index] = 0 }
            total = 0
            return
        }
        for _ in 0..<steps {
            current = current == Self.bucketCount - 1 ? 0 : current + 1
            total &-= counts[current]
            counts[current] = 0
        }
    }
}
