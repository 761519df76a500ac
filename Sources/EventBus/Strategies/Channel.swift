import EventLog
import EventQueue
import Synchronization

/// How a point-to-point queue picks the consumer for an event without an ordering key.
public enum DispatchPolicy: Sendable, Hashable {
    /// Consumers take turns.
    case roundRobin
    /// The consumer with the fewest queued and in-flight events.
    case leastLoaded
}

/// The type-erased face of a ``Channel``.
protocol AnyChannel: AnyObject, Sendable {
    /// The event type the channel carries.
    var eventType: ObjectIdentifier { get }
    var eventTypeName: String { get }
    var allQueues: [any ManagedQueue] { get }
    var backlogQueue: any ManagedQueue { get }
    func close()
}

/// A named point-to-point queue: every event goes to exactly one of its consumers.
///
/// Each consumer has a queue of its own; the channel assigns events to them. An event with an
/// ordering key goes to the consumer the key hashes to, so events with one key are handled by
/// one consumer, in order, while the set of consumers does not change. Events sent while there
/// is no consumer wait in a backlog and are handed over, in order, to the first consumer.
/// When a consumer leaves, its unhandled events are handed to the others.
@usableFromInline
final class Channel<E: Event>: AnyChannel {
    @usableFromInline
    struct Consumer: Sendable {
        @usableFromInline let id: UInt64
        @usableFromInline let queue: WorkQueue<Envelope<E>>
    }

    @usableFromInline
    struct State: Sendable {
        @usableFromInline var consumers: [Consumer] = []
        @usableFromInline var backlog: WorkQueue<Envelope<E>>
        @usableFromInline var turn = 0
        @usableFromInline var nextID: UInt64 = 0
        @usableFromInline var closed = false
        /// A durable queue: every event is stored in it, and every consumer competes for it.
        @usableFromInline var durable: WorkQueue<Envelope<E>>?
        /// The durable queue's key in the bus's queue registry.
        var durableKey: UInt64 = 0
    }

    @usableFromInline let name: String
    @usableFromInline let dispatch: DispatchPolicy
    let capacity: Capacity
    let clock: any QueueClock
    @usableFromInline let state: Locked<State>

    init(name: String, dispatch: DispatchPolicy, capacity: Capacity, clock: any QueueClock) {
        self.name = name
        self.dispatch = dispatch
        self.capacity = capacity
        self.clock = clock
        self.state = Locked(State(backlog: Channel.makeBacklog(name: name, capacity: capacity, clock: clock)))
    }

    private static func makeBacklog(
        name: String,
        capacity: Capacity,
        clock: any QueueClock
    )
        -> WorkQueue<Envelope<E>>
    {
        WorkQueue(name: "queue \(name) backlog", configuration: QueueConfiguration(capacity: capacity, clock: clock))
    }

    var eventType: ObjectIdentifier { ObjectIdentifier(E.self) }

    var eventTypeName: String { E.eventName }

    var backlogQueue: any ManagedQueue { state.withLock { $0.backlog } }

    var allQueues: [any ManagedQueue] {
        state.withLock { state in [state.backlog] + state.consumers.map(\.queue) }
    }

    /// The queue that should take an event with this key now (nil once the channel is closed).
    @inlinable
    func target(key: String?) -> WorkQueue<Envelope<E>>? {
        state.withLock { state in
            if state.closed { return nil }
            if let durable = state.durable { return durable }
            guard !state.consumers.isEmpty else { return state.backlog }
            let index: Int
            if let key {
                index = Int(stableHash(key) % UInt64(state.consumers.count))
            } else {
                switch dispatch {
                case .roundRobin:
                    index = state.turn % state.consumers.count
                    state.turn &+= 1
                case .leastLoaded:
                    var best = 0
                    var bestLoad = Int.max
                    for (position, consumer) in state.consumers.enumerated() {
                        let load = consumer.queue.load
                        if load < bestLoad {
                            best = position
                            bestLoad = load
                        }
                    }
                    index = best
                }
            }
            return state.consumers[index].queue
        }
    }

    /// Sends an event, retrying when the chosen queue closed under it (a consumer left). An
    /// in-memory queue with room takes it without suspending.
    @inlinable
    func send(_ envelope: Envelope<E>) async throws {
        let id = envelope.metadata.id
        let priority = envelope.metadata.priority
        while true {
            guard let queue = target(key: envelope.metadata.orderingKey) else { throw BusError.shutDown }
            do {
                if !queue.hasStorage {
                    do {
                        _ = try queue.tryEnqueue(
                            boxed: WorkQueue<Envelope<E>>.box(envelope),
                            id: id,
                            priority: priority
                        )
                        return
                    } catch .full where queue.configuration.capacity.overflowPolicy == .suspendPublisher {
                        // Full: wait for room below.
                    }
                }
                try await queue.enqueue(envelope, id: id, priority: priority)
                return
            } catch QueueError.closed {
                continue
            } catch QueueError.full {
                throw BusError.queueRejected(E.eventName, queue: name, eventID: id)
            } catch QueueError.cancelled {
                throw CancellationError()
            } catch QueueError.storage(let failure) {
                throw BusError.notStoredInQueue(E.eventName, queue: name, eventID: id, cause: failure)
            }
        }
    }

    /// Makes the channel durable: from now on every event is stored in `queue`, which its
    /// consumers share. Events waiting in the backlog move into it (stored), in order; the
    /// events in memory consumers' queues stay with them. False when it already was.
    func makeDurable(_ queue: WorkQueue<Envelope<E>>, key: UInt64) async throws -> Bool {
        let moved: [RemovedEvent<Envelope<E>>]? = state.withLock { state in
            guard state.durable == nil else { return nil }
            state.durable = queue
            state.durableKey = key
            let moved = state.backlog.removeAll()
            state.backlog = Channel.makeBacklog(name: name, capacity: capacity, clock: clock)
            return moved
        }
        guard let moved else { return false }
        for event in moved {
            try await queue.enqueue(event.element, id: event.id, priority: event.priority)
        }
        return true
    }

    /// The durable queue and its registry key, once the channel is durable.
    var durableQueue: (queue: WorkQueue<Envelope<E>>, key: UInt64)? {
        state.withLock { state in state.durable.map { ($0, state.durableKey) } }
    }

    /// Adds a consumer queue; backlog events move to the consumers in their original order.
    func attach(_ queue: WorkQueue<Envelope<E>>) -> UInt64 {
        let (id, moved) = state.withLock { state -> (UInt64, [RemovedEvent<Envelope<E>>]) in
            state.nextID += 1
            state.consumers.append(Consumer(id: state.nextID, queue: queue))
            guard state.consumers.count == 1 else { return (state.nextID, []) }
            let moved = state.backlog.removeAll()
            state.backlog = Channel.makeBacklog(name: name, capacity: capacity, clock: clock)
            return (state.nextID, moved)
        }
        redistribute(moved)
        return id
    }

    /// Removes a consumer; its unhandled events go to the others (or the backlog).
    func detach(_ id: UInt64) {
        let removed: Consumer? = state.withLock { state in
            guard let index = state.consumers.firstIndex(where: { $0.id == id }) else { return nil }
            return state.consumers.remove(at: index)
        }
        guard let removed else { return }
        redistribute(removed.queue.removeAll())
    }

    private func redistribute(_ events: [RemovedEvent<Envelope<E>>]) {
        for event in events {
            // The chosen consumer may close between choosing and inserting: then choose again.
            while let queue = target(key: event.element.metadata.orderingKey),
                !queue.forceEnqueue(event.element, id: event.id, priority: event.priority, attempts: event.attempts)
            {}
        }
    }

    func close() {
        state.withLock { $0.closed = true }
        for queue in allQueues { queue.close() }
    }
}

/// FNV-1a: a hash that is the same in every process (Swift's `Hasher` is seeded per process).
@usableFromInline
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x100_0000_01b3
    }
    return hash
}
