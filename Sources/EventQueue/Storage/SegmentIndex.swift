/// Which log segment holds each unsettled event: an open-addressing hash table from
/// ``EventID`` to segment number.
///
/// A durable mailbox adds one entry per accepted event and removes it on acknowledgement, so
/// with a backlog this table is as large as the backlog and every append touches it. Event ids
/// are already unique random-plus-counter values: a multiplicative hash of their two halves
/// spreads them well, which costs a fraction of `Dictionary`'s seeded SipHash.
struct SegmentIndex {
    private enum Slot: UInt8 {
        case empty, full, removed
    }

    private var slots: [Slot]
    private var keys: [EventID]
    private var values: [UInt64]
    private var mask: Int
    /// Entries present.
    private(set) var count = 0
    /// Slots that held a removed entry (they keep probe chains intact until the next rehash).
    private var removed = 0

    init() {
        self.init(capacity: 16)
    }

    private init(capacity: Int) {
        slots = Array(repeating: .empty, count: capacity)
        keys = Array(repeating: EventID(high: 0, low: 0), count: capacity)
        values = Array(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// Eight consecutive ids of one generator (same high half, consecutive counters) share a
    /// hashed run of eight neighbouring slots: a backlog's inserts and acknowledgements, which
    /// come in id order, touch a new cache line once per eight ids instead of once per id.
    private func home(_ id: EventID) -> Int {
        let mixed = (id.high &* 0x9E37_79B9_7F4A_7C15) ^ ((id.low >> 3) &* 0xC2B2_AE3D_27D4_EB4F)
        let group = (mixed ^ (mixed >> 29)) << 3
        return Int(truncatingIfNeeded: group | (id.low & 7)) & mask
    }

    /// The slot holding `id`, or nil.
    private func find(_ id: EventID) -> Int? {
        var index = home(id)
        while true {
            switch slots[index] {
            case .empty: return nil
            case .full where keys[index] == id: return index
            case .full, .removed: index = (index + 1) & mask
            }
        }
    }

    /// The segment of `id`, if it is present.
    subscript(id: EventID) -> UInt64? {
        find(id).map { values[$0] }
    }

    /// Sets the segment of `id`.
    mutating func set(_ id: EventID, segment: UInt64) {
        // At most three quarters full (entries and removed slots): every probe ends at an empty slot.
        if (count + removed + 1) * 4 > slots.count * 3 { rehash() }
        var index = home(id)
        var reusable: Int?
        while true {
            switch slots[index] {
            case .full where keys[index] == id:
                values[index] = segment
                return
            case .full:
                break
            case .removed:
                if reusable == nil { reusable = index }
            case .empty:
                let target = reusable ?? index
                if slots[target] == .removed { removed -= 1 }
                slots[target] = .full
                keys[target] = id
                values[target] = segment
                count += 1
                return
            }
            index = (index + 1) & mask
        }
    }

    /// Removes `id`, returning its segment.
    mutating func remove(_ id: EventID) -> UInt64? {
        guard let index = find(id) else { return nil }
        slots[index] = .removed
        count -= 1
        removed += 1
        return values[index]
    }

    /// Rebuilds the table: twice as large when half or more of it holds entries, the same size
    /// (without the removed slots) otherwise.
    private mutating func rehash() {
        let capacity = (count + 1) * 2 > slots.count ? slots.count * 2 : slots.count
        var rebuilt = SegmentIndex(capacity: capacity)
        for index in slots.indices where slots[index] == .full {
            var target = rebuilt.home(keys[index])
            while rebuilt.slots[target] == .full { target = (target + 1) & rebuilt.mask }
            rebuilt.slots[target] = .full
            rebuilt.keys[target] = keys[index]
            rebuilt.values[target] = values[index]
        }
        rebuilt.count = count
        self = rebuilt
    }
}
