/// A growable FIFO ring buffer with O(1) append, popFirst and indexed access.
struct RingBuffer<Element> {
    private var storage: ContiguousArray<Element?>
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 0) {
        storage = ContiguousArray(repeating: nil, count: capacity)
    }

    var isEmpty: Bool { count == 0 }

    var first: Element? { count == 0 ? nil : storage[head] }

    mutating func append(_ element: consuming Element) {
        if count == storage.count { grow() }
        storage[physical(count)] = consume element
        count += 1
    }

    mutating func prepend(_ element: Element) {
        if count == storage.count { grow() }
        head = (head - 1 + storage.count) % storage.count
        storage[head] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        // Moves the element out (no copy, no release of a copy).
        let element = storage[head].take()
        head += 1
        if head == storage.count { head = 0 }
        count -= 1
        return element
    }

    /// Removes and returns every element, oldest first.
    mutating func removeAll() -> [Element] {
        var result: [Element] = []
        result.reserveCapacity(count)
        while let element = popFirst() { result.append(element) }
        return result
    }

    /// Removes the elements for which `shouldRemove` is true, keeping the order of the rest.
    mutating func removeAll(where shouldRemove: (Element) -> Bool) -> [Element] {
        var kept = RingBuffer(capacity: storage.count)
        var removed: [Element] = []
        while let element = popFirst() {
            if shouldRemove(element) { removed.append(element) } else { kept.append(element) }
        }
        self = kept
        return removed
    }

    subscript(offset: Int) -> Element {
        storage[physical(offset)]!
    }

    private func physical(_ offset: Int) -> Int {
        let index = head + offset
        return index >= storage.count ? index - storage.count : index
    }

    private mutating func grow() {
        var larger = ContiguousArray<Element?>(repeating: nil, count: max(16, storage.count * 2))
        for offset in 0..<count { larger[offset] = storage[physical(offset)] }
        storage = larger
        head = 0
    }
}
