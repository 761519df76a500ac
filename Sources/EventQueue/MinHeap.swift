import EventLog

/// A binary min-heap ordered by `key`, ties broken by insertion order.
package struct MinHeap<Element> {
    private var items: [(key: Tick, order: UInt64, element: Element)] = []
    private var inserted: UInt64 = 0

    /// An empty heap.
    package init() {}

    /// How many elements it holds.
    package var count: Int { items.count }
    /// Whether it holds none.
    package var isEmpty: Bool { items.isEmpty }
    /// The smallest key.
    package var minKey: Tick? { items.first?.key }
    /// The first element and its key, without removing it.
    package var min: (key: Tick, element: Element)? { items.first.map { ($0.key, $0.element) } }

    /// Adds an element under `key`.
    package mutating func insert(_ element: Element, key: Tick) {
        inserted += 1
        items.append((key, inserted, element))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the element with the smallest key (the first inserted among equals).
    package mutating func popMin() -> (key: Tick, element: Element)? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = parent * 2 + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && less(left, smallest) { smallest = left }
            if right < items.count && less(right, smallest) { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.key, top.element)
    }

    /// Every element, in no particular order, leaving the heap empty.
    mutating func removeAll() -> [Element] {
        defer { items.removeAll() }
        return items.map(\.element)
    }

    func forEach(_ body: (Element) -> Void) {
        for item in items { body(item.element) }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        items[a].key < items[b].key || (items[a].key == items[b].key && items[a].order < items[b].order)
    }
}
