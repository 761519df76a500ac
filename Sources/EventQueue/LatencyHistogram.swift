import EventLog

/// Quantiles of enqueue-to-acknowledgement latency.
public struct LatencySummary: Sendable, Hashable {
    /// Samples recorded.
    public var count: UInt64
    /// Median.
    public var p50: Duration
    /// 90th percentile.
    public var p90: Duration
    /// 99th percentile.
    public var p99: Duration
    /// Largest sample.
    public var max: Duration

    /// No samples.
    public static let empty = LatencySummary(count: 0, p50: .zero, p90: .zero, p99: .zero, max: .zero)

    /// Creates a summary.
    public init(count: UInt64, p50: Duration, p90: Duration, p99: Duration, max: Duration) {
        self.count = count
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }

    func merged(with other: LatencySummary) -> LatencySummary {
        if count == 0 { return other }
        if other.count == 0 { return self }
        return LatencySummary(
            count: count + other.count,
            p50: Swift.max(p50, other.p50),
            p90: Swift.max(p90, other.p90),
            p99: Swift.max(p99, other.p99),
            max: Swift.max(max, other.max)
        )
    }
}

/// A log-linear histogram of nanosecond values: 8 buckets per power of two (≤ 12.5% error).
struct LatencyHistogram {
    private static let subBuckets = 8
    private var buckets = [UInt64](repeating: 0, count: 64 * 8)
    private(set) var count: UInt64 = 0
    private var maxValue: UInt64 = 0

    mutating func record(nanoseconds value: UInt64) {
        buckets[Self.index(of: value)] += 1
        count += 1
        if value > maxValue { maxValue = value }
    }

    static func index(of value: UInt64) -> Int {
        if value < 8 { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount
        let mantissa = Int((value >> UInt64(exponent - 3)) & 7)
        return (exponent - 2) * subBuckets + mantissa
    }

    static func upperBound(ofBucket index: Int) -> UInt64 {
        if index < 8 { return UInt64(index) }
        let exponent = index / subBuckets + 2
        let mantissa = UInt64(index % subBuckets)
        let base = UInt64(1) << UInt64(exponent)
        let step = base >> 3
        return base + (mantissa + 1) * step - 1
    }

    func quantile(_ q: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = UInt64((Double(count) * q).rounded(.up))
        var seen: UInt64 = 0
        for (index, value) in buckets.enumerated() where value > 0 {
            seen += value
            if seen >= Swift.max(1, rank) { return Swift.min(Self.upperBound(ofBucket: index), maxValue) }
        }
        return maxValue
    }

    var summary: LatencySummary {
        LatencySummary(
            count: count,
            p50: .nanoseconds(Int64(clamping: quantile(0.5))),
            p90: .nanoseconds(Int64(clamping: quantile(0.9))),
            p99: .nanoseconds(Int64(clamping: quantile(0.99))),
            max: .nanoseconds(Int64(clamping: maxValue))
        )
    }
}
