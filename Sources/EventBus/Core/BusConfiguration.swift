import EventLog
import EventQueue

#if LoggingSupport
    import Logging
#endif

/// Settings of a ``Bus``. The defaults are the embedded, in-memory configuration.
public struct BusConfiguration: Sendable {
    /// The mailbox used by ``Bus/subscribe(_:mailbox:acknowledgement:retry:deadLetter:dedup:codec:)``
    /// when none is given.
    public var defaultMailbox: Mailbox
    /// The queue bound of each callback subscription.
    public var callbackCapacity: Capacity
    /// How many delayed publications may wait at once.
    public var schedulerCapacity: Int
    /// The time source for delays, timeouts, retry backoff and metrics.
    public var clock: any QueueClock
    /// A fixed nonce for event ids (nil: random). Deterministic tests set it.
    public var idNonce: UInt64?
    /// Record and segment limits of durable mailboxes.
    public var durableOptions: DurableMailboxOptions
    /// The store of durable mailboxes declared without one (``Mailbox/durable(name:capacity:)``);
    /// nil: such a declaration is refused with ``BusError/noDurableStore(mailbox:)``.
    public var durableStore: DurableStore?
    /// How many publishers, across all durable mailboxes of the bus, may write and fsync on
    /// their own thread at once (see Documentation/DurableMailboxes.md, "Sync policies"); the others are suspended while the
    /// mailbox's I/O queue does it. 1 by default: a slow disk holds at most one thread of the
    /// cooperative pool per bus. 0 keeps every write and fsync off the publishers' threads, at
    /// the cost of two thread hand-offs per commit.
    public var inlineSyncThreads: Int
    /// How the bus reaches the other instances of the application: broadcasts of declared types
    /// (``Bus/declareBroadcast(_:codec:)``) and requests answered by responders on other
    /// instances. nil (the default): in-process only. See Documentation/ScaleOut.md.
    public var transport: Transport?
    /// The file system durable mailboxes use: the real one, or a test double that injects faults.
    package var fileSystem: any FileSystem = PosixFileSystem()
    #if LoggingSupport
        /// Where the bus logs (trait `LoggingSupport`): recovery reports and dead letters at info,
        /// handler failures (retries) and overflow drops at debug, each event at trace. The bus never
        /// bootstraps the logging system. Default: `Logger.current` when the configuration is made.
        /// See Documentation/RunningInAServer.md.
        public var logger: Logger = .current
    #endif
    #if ServiceLifecycleSupport
        /// How long ``Bus/run()`` lets mailboxes, callbacks and consumers drain after a graceful
        /// shutdown before it stops them (trait `ServiceLifecycleSupport`); 5 seconds by default.
        public var gracefulShutdownDeadline: Duration = .seconds(5)
    #endif

    /// Creates a configuration.
    public init(
        defaultMailbox: Mailbox = .default,
        callbackCapacity: Capacity = .default,
        schedulerCapacity: Int = 100_000,
        clock: any QueueClock = SystemQueueClock(),
        idNonce: UInt64? = nil,
        durableOptions: DurableMailboxOptions = DurableMailboxOptions(),
        durableStore: DurableStore? = nil,
        inlineSyncThreads: Int = 1,
        transport: Transport? = nil
    ) {
        self.transport = transport
        self.durableStore = durableStore
        self.durableOptions = durableOptions
        self.inlineSyncThreads = inlineSyncThreads
        self.defaultMailbox = defaultMailbox
        self.callbackCapacity = callbackCapacity
        self.schedulerCapacity = schedulerCapacity
        self.clock = clock
        self.idNonce = idNonce
    }
}

/// Where a subscription's events wait: in memory, with a bound, or on disk.
public enum Mailbox: Sendable, Hashable {
    /// In memory, bounded by `capacity` (its overflow policy decides what happens beyond), named
    /// `name` in metrics, errors and logs (nil: `mailbox <event type>`). A name a live queue of
    /// the bus already has gets ` #2`, ` #3`….
    case memory(Capacity, name: String? = nil)
    /// A durable mailbox named `name` in `store` (nil: ``BusConfiguration/durableStore``): each
    /// event is stored before the publisher is told it was accepted, and delivered again after a
    /// crash or a shutdown until acknowledged (at-least-once). `capacity` bounds the events held
    /// (the publisher waits beyond it). Declared once in a process, it stores every event of its
    /// type until it is removed (``Bus/removeMailbox(_:)``). See Documentation/DurableMailboxes.md.
    case durable(name: String, store: DurableStore?, capacity: Int)

    /// In memory, ``Capacity/default``: 10,000 events, the publisher waits when full.
    public static let `default` = Mailbox.memory(.default)

    /// In memory, named `name` in metrics, errors and logs.
    public static func memory(name: String, capacity: Capacity = .default) -> Mailbox {
        .memory(capacity, name: name)
    }

    /// The name the mailbox asks for (nil: the bus names it after its event type).
    var requestedName: String? {
        switch self {
        case .memory(_, let name): name
        case .durable(let name, _, _): name
        }
    }

    /// A durable mailbox on local disk, in `directory/name`: an append-only, checksummed log
    /// written under `sync` (``DurableStore/directory(_:sync:)``).
    public static func durable(
        name: String,
        directory: String,
        sync: SyncPolicy = .batched,
        capacity: Int = 100_000
    ) -> Mailbox {
        .durable(name: name, store: .directory(directory, sync: sync), capacity: capacity)
    }

    /// A durable mailbox named `name` in `store`: ``DurableStore/directory(_:sync:)``, or a shared
    /// store whose mailboxes are consumer groups (`DurableStore.postgres(…)`, trait
    /// `PostgresSupport`). Holds up to 100,000 events in this process.
    public static func durable(name: String, store: DurableStore) -> Mailbox {
        .durable(name: name, store: store, capacity: 100_000)
    }

    /// A durable mailbox in the bus's default store (``BusConfiguration/durableStore``).
    public static func durable(name: String, capacity: Int = 100_000) -> Mailbox {
        .durable(name: name, store: nil, capacity: capacity)
    }

    var capacity: Capacity {
        switch self {
        case .memory(let capacity, _): capacity
        case .durable(_, _, let capacity): .bounded(capacity, overflow: .suspendPublisher)
        }
    }
}

/// How a mailbox subscriber settles its deliveries.
public enum Acknowledgement: Sendable, Hashable {
    /// A delivery is acknowledged when the subscriber asks for the next one (after handling it).
    /// A subscriber may still call ``Delivery/nack(_:)`` to have it retried.
    case automatic
    /// The subscriber calls ``Delivery/ack()`` or ``Delivery/nack(_:)``. A delivery not settled
    /// within `visibilityTimeout` (nil: never) is redelivered per the retry policy.
    case manual(visibilityTimeout: Duration?)
}

extension ConsumerSettings {
    /// The settings a subscriber of a shared durable queue asked for: its acknowledgement's
    /// visibility timeout, its retry and its dead-letter policy.
    init(_ acknowledgement: Acknowledgement, retry: RetryPolicy, deadLetter: DeadLetterPolicy) {
        let timeout: Duration? =
            switch acknowledgement {
            case .manual(let timeout): timeout
            case .automatic: nil
            }
        self.init(visibilityTimeout: timeout, retry: retry, deadLetter: deadLetter)
    }
}
