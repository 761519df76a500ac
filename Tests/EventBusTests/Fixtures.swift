import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Synchronization

struct OrderPlaced: Event, Codable, Equatable {
    let id: Int
    var total: Int = 10
}

struct OrderCancelled: Event, Equatable {
    let id: Int
}

struct Renamed: Event {
    static let eventName = "orders.renamed.v1"
}

protocol OrderEvent: Event {
    var orderID: Int { get }
}

struct Shipped: OrderEvent {
    let orderID: Int
}

struct Delivered: OrderEvent {
    let orderID: Int
}

struct Unrelated: Event {
    let value: Int
}

struct Boom: Error, Equatable, CustomStringConvertible {
    let code: Int
    var description: String { "boom \(code)" }
}

/// A thread-safe list for collecting what handlers saw.
final class Collector<T: Sendable>: Sendable {
    private let state = Locked<[T]>([])

    func append(_ value: T) {
        state.withLock { $0.append(value) }
    }

    var values: [T] { state.withLock { $0 } }
    var count: Int { state.withLock { $0.count } }
}

actor Inventory: EventHandler {
    var placed: [Int] = []
    var cancelled: [Int] = []
    let log: Collector<String>?

    init(log: Collector<String>? = nil) {
        self.log = log
    }

    static func declareHandlers(_ handlers: inout EventHandlers<Inventory>) {
        handlers.handle(OrderPlaced.self) { inventory, order in
            inventory.placed.append(order.id)
            inventory.log?.append("inventory \(order.id)")
        }
        handlers.handle(OrderCancelled.self) { inventory, order in
            inventory.cancelled.append(order.id)
        }
    }
}

actor NamedObserver: EventHandler {
    let name: String
    let log: Collector<String>
    var failOn: Int?

    init(_ name: String, log: Collector<String>, failOn: Int? = nil) {
        self.name = name
        self.log = log
        self.failOn = failOn
    }

    static func declareHandlers(_ handlers: inout EventHandlers<NamedObserver>) {
        handlers.handle(OrderPlaced.self) { observer, order in
            observer.log.append("\(observer.name) \(order.id)")
            if observer.failOn == order.id { throw Boom(code: order.id) }
        }
    }
}
