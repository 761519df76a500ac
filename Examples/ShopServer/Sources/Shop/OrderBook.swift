/// What the shop knows of each order since it started: what `GET /orders/{id}` shows.
public actor OrderBook {
    /// An order's progress.
    public struct Entry: Codable, Sendable, Equatable {
        /// The order's id.
        public let id: String
        /// Who ordered.
        public let customer: String
        /// `placed`, `reserved`, `charged` or `payment-failed`.
        public var status: String
        /// Whether the confirmation mail went out.
        public var mailed: Bool
    }

    private var entries: [String: Entry] = [:]

    /// An empty book.
    public init() {}

    /// Notes a placed order.
    func placed(_ order: OrderPlaced) {
        entries[order.id] = Entry(id: order.id, customer: order.customer, status: "placed", mailed: false)
    }

    /// Moves an order on to `status`, never back: billing may finish before the inventory's
    /// note of its reservation arrives.
    func mark(_ id: String, _ status: String) {
        let rank = ["placed": 0, "reserved": 1, "charged": 2, "payment-failed": 2]
        guard let current = entries[id]?.status, rank[status, default: 0] > rank[current, default: 0] else { return }
        entries[id]?.status = status
    }

    /// Notes that the confirmation mail went out.
    func mailed(_ id: String) {
        entries[id]?.mailed = true
    }

    /// The order's entry, if this process has seen it.
    public func entry(_ id: String) -> Entry? {
        entries[id]
    }
}
