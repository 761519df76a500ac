/// Which log segment holds each unsettled event: a table from ``EventID`` to segment number.
///
/// A durable mailbox adds one entry per accepted event and removes it on acknowledgement, so
/// with a backlog this table is as large as the backlog and every append touches it, under the
/// log's lock. Ids come from generators (a random high half, a counter in the low half), so a
/// mailbox's ids arrive in runs of consecutive counters. The table keeps them by *chunk*: 64
/// consecutive counters of one high half share one entry, which holds their segment and a bit
/// per id present. An append touches the entry it touched for the id before; a million-event
/// backlog is about 16,000 entries, not a million scattered over a table of 50 MB.
///
/// An id whose chunk already holds ids of another segment (a run cut by a segment roll, or
/// interleaved with another publisher's) is kept exactly, in a dictionary on the side.
struct SegmentIndex {
    /// 64 consecutive counters of one high half.
    private struct ChunkKey: Equatable {
        let high: UInt64
        let chunk: UInt64

        init(_ id: EventID) {
            high = id.high
            chunk = id.low >> 6
        }
    }

    private struct Chunk {
        var segment: UInt64
        /// Bit `low & 63` is set for each id of the chunk present in `segment`.
        var present: UInt64
    }

    private enum Slot: UInt8 {
        case empty, full, removed
    }

    private var slots: [Slot]
    private var keys: [ChunkKey]
    private var chunks: [Chunk]
    private var mask: Int
    /// Slots holding a chunk.
    private var used = 0
    /// Slots that held a removed chunk (they keep probe chains intact until the next rehash).
    private var removed = 0
    /// Ids present in another segment than their chunk's.
    private var exceptions: [EventID: UInt64] = [:]
    /// Entries present.
    private(set) var count = 0

    init() {
        self.init(capacity: 16)
    }

    private init(capacity: Int) {
        slots = Array(repeating: .empty, count: capacity)
        keys = Array(repeating: ChunkKey(EventID(high: 0, low: 0)), count: capacity)
        chunks = Array(repeating: Chunk(segment: 0, present: 0), count: capacity)
        mask = capacity - 1
    }

    private func home(_ key: ChunkKey) -> Int {
        let mixed = (key.high &* 0x9E37_79B9_7F4A_7C15) ^ (key.chunk &* 0xC2B2_AE3D_27D4_EB4F)
        return Int(truncatingIfNeeded: mixed ^ (mixed >> 29)) & mask
    }

    private static func bit(_ id: EventID) -> UInt64 { 1 << (id.low & 63) }

    /// The slot holding `key`'s chunk, or nil.
    private func find(_ key: ChunkKey) -> Int? {
        var index = home(key)
        while true {
            switch slots[index] {
            case .empty: return nil
            case .full where keys[index] == key: return index
            case .full, .removed: index = (index + 1) & mask
            }
        }
    }

    /// The segment of `id`, if it is present.
    subscript(id: EventID) -> UInt64? {
        if !exceptions.isEmpty, let segment = exceptions[id] { return segment }
        guard let slot = find(ChunkKey(id)), chunks[slot].present & Self.bit(id) != 0 else { return nil }
        return chunks[slot].segment
    }

    /// Sets the segment of `id`.
    mutating func set(_ id: EventID, segment: UInt64) {
        if !exceptions.isEmpty, exceptions.removeValue(forKey: id) != nil { count -= 1 }
        let slot = slotForInsert(ChunkKey(id), segment: segment)
        let bit = Self.bit(id)
        if chunks[slot].present & bit != 0 {
            chunks[slot].present &= ~bit
            count -= 1
        }
        if chunks[slot].present == 0 { chunks[slot].segment = segment }
        if chunks[slot].segment == segment {
            chunks[slot].present |= bit
        } else {
            exceptions[id] = segment
        }
        count += 1
    }

    /// Removes `id`, returning its segment.
    mutating func remove(_ id: EventID) -> UInt64? {
        if !exceptions.isEmpty, let segment = exceptions.removeValue(forKey: id) {
            count -= 1
            return segment
        }
        let bit = Self.bit(id)
        guard let slot = find(ChunkKey(id)), chunks[slot].present & bit != 0 else { return nil }
        chunks[slot].present &= ~bit
        count -= 1
        if chunks[slot].present == 0 {
            slots[slot] = .removed
            used -= 1
            removed += 1
        }
        return chunks[slot].segment
    }

    /// The slot of `key`'s chunk, inserted (empty, in `segment`) when absent.
    private mutating func slotForInsert(_ key: ChunkKey, segment: UInt64) -> Int {
        // At most three quarters full (chunks and removed slots): every probe ends at an empty slot.
        if (used + removed + 1) * 4 > slots.count * 3 { rehash() }
        var index = home(key)
        var reusable: Int?
        while true {
            switch slots[index] {
            case .full where keys[index] == key:
                return index
            case .full:
                break
            case .removed:
                if reusable == nil { reusable = index }
            case .empty:
                let target = reusable ?? index
                if slots[target] == .removed { removed -= 1 }
                slots[target] = .full
                keys[target] = key
                chunks[target] = Chunk(segment: segment, present: 0)
                used += 1
                return target
            }
            index = (index + 1) & mask
        }
    }

    /// Rebuilds the table: twice as large when half or more of it holds chunks, the same size
    /// (without the removed slots) otherwise.
    private mutating func rehash() {
        let capacity = (used + 1) * 2 > slots.count ? slots.count * 2 : slots.count
        var rebuilt = SegmentIndex(capacity: capacity)
        for index in slots.indices where slots[index] == .full {
            var target = rebuilt.home(keys[index])
            while rebuilt.slots[target] == .full { target = (target + 1) & rebuilt.mask }
            rebuilt.slots[target] = .full
            rebuilt.keys[target] = keys[index]
            rebuilt.chunks[target] = chunks[index]
        }
        rebuilt.used = used
        rebuilt.count = count
        rebuilt.exceptions = exceptions
        self = rebuilt
    }
}
