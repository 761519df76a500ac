/// The last `capacity` samples of one mailbox, in arrays allocated once: recording never
/// allocates, and a ring costs 20 bytes a sample whatever runs.
struct SampleRing: Sendable {
    /// Seconds on the sampler's clock.
    private(set) var times: [Double]
    private(set) var depths: [Float]
    private(set) var arrivals: [Float]
    private(set) var consumes: [Float]
    /// Where the next sample goes.
    private var next = 0
    /// How many samples are kept (at most `capacity`).
    private(set) var count = 0
    /// The sampling round that last recorded into it.
    var round: UInt64 = 0

    init(capacity: Int) {
        let size = max(2, capacity)
        times = Array(repeating: 0, count: size)
        depths = Array(repeating: 0, count: size)
        arrivals = Array(repeating: 0, count: size)
        consumes = Array(repeating: 0, count: size)
    }

    var capacity: Int { times.count }

    mutating func record(time: Double, depth: Double, arrival: Double, consume: Double) {
        times[next] = time
        depths[next] = Float(depth)
        arrivals[next] = Float(arrival)
        consumes[next] = Float(consume)
        next = (next + 1) % capacity
        count = min(count + 1, capacity)
    }

    /// The samples, oldest first.
    var ordered: [(time: Double, depth: Double, arrival: Double, consume: Double)] {
        let start = (next - count + capacity) % capacity
        return (0..<count).map { offset in
            let index = (start + offset) % capacity
            return (times[index], Double(depths[index]), Double(arrivals[index]), Double(consumes[index]))
        }
    }
}
