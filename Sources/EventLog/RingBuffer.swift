/// A growable FIFO ring buffer with O(1) append, popFirst and indexed access.
@usableFromInline
package struct RingBuffer<Element> {
    @usableFromInline var storage: ContiguousArray<Element?>
    @usableFromInline var head = 0
    @usableFromInline package private(set) var count = 0

    @inlinable
    package init(capacity: Int = 0) {
        storage = ContiguousArray(repeating: nil, count: capacity)
    }

    @inlinable
    package var isEmpty: Bool { count == 0 }

    @inlinable
    package var first: Element? { count == 0 ? nil : storage[head] }

    @inlinable
    package mutating func append(_ element: consuming Element) {
        if count == storage.count { grow() }
        storage[physical(count)] = consume element
        count += 1
    }

    @inlinable
    package mutating func prepend(_ element: Element) {
        if count == storage.count { grow() }
        head = (head - 1 + storage.count) % storage.count
        storage[head] = element
        count += 1
    }

    @inlinable
    package mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        // Moves the element out (no copy, no release of a copy).
        let element = storage[head].take()
        head += 1
        if head == storage.count { head = 0 }
        count -= 1
        return element
    }

    /// Removes and returns every element, oldest first.
    @inlinable
    package mutating func removeAll() -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(count)
        while let element = popFirst() { result.append(element) }
        return result
    }

    /// Removes the elements for which `shouldRemove` is true, keeping the order of the rest.
    @inlinable
    package mutating func removeAll(where shouldRemove: (Element) -> Bool) -> [Element] {
        var kept = RingBuffer(capacity: storage.count)
        var removed: [Element] = []
        while let element = popFirst() {
            if shouldRemove(element) { removed.append(element) } else { kept.append(element) }
        }
        self = kept
        return removed
    }

    @inlinable
    package subscript(offset: Int) -> Element {
        storage[physical(offset)]!
    }

    @inlinable
    package func physical(_ offset: Int) -> Int {
        let index = head + offset
        return index >= storage.count ? index - storage.count : index
    }

    /// Doubles the storage (it is full: `count == storage.count`), moving the elements to the
    /// front of the new storage in order. Moved, not copied: copying retained every element and
    /// released it again when the old storage went, and a backlog's ring moves each element
    /// about once as it grows (10 % of a million-event durable backlog's enqueues).
    @inlinable
    package mutating func grow() {
        let capacity = max(16, storage.count * 2)
        let count = count
        let head = head
        let larger = storage.withUnsafeMutableBufferPointer { old in
            ContiguousArray<Element?>(unsafeUninitializedCapacity: capacity) { new, initialized in
                var moved = 0
                if let from = old.baseAddress, let to = new.baseAddress, count > 0 {
                    // The elements from `head` to the end, then those wrapped to the start.
                    let tail = min(count, old.count - head)
                    to.moveInitialize(from: from + head, count: tail)
                    (to + tail).moveInitialize(from: from, count: count - tail)
                    // The old storage is freed with its slots empty, never moved-from.
                    (from + head).initialize(repeating: nil, count: tail)
                    from.initialize(repeating: nil, count: count - tail)
                    moved = count
                }
                if let to = new.baseAddress { (to + moved).initialize(repeating: nil, count: capacity - moved) }
                initialized = capacity
            }
        }
        storage = larger
        self.head = 0
    }
}

extension RingBuffer: Sendable where Element: Sendable {}
