import EventLog
import EventQueue

/// How a bus reaches the other instances of its application: broadcasts of declared event types
/// and requests to responders on other instances (``BusConfiguration/transport``). Without one,
/// the bus is in-process only and nothing of this costs anything.
///
/// The PostgreSQL transport (trait `PostgresSupport`) is `Transport.postgres(_:schema:options:)`;
/// its ``store`` is the PostgreSQL store of the same schema, sharing its one LISTEN connection.
/// See Documentation/ScaleOut.md, "The whole bus across instances".
public struct Transport: Sendable, CustomStringConvertible {
    package let backend: any TransportBackend

    /// A transport behind the package's seam (`TransportBackend`).
    package init(_ backend: any TransportBackend) {
        self.backend = backend
    }

    /// The store of durable mailboxes that shares the transport's connection, when it has one
    /// (the PostgreSQL transport's is the PostgreSQL store of its schema): give it as
    /// ``BusConfiguration/durableStore`` or in `.durable(name:store:)`.
    public var store: DurableStore? { backend.store.map(DurableStore.init) }

    /// What it connects through, without credentials.
    public var description: String { backend.identity }
}

/// The transport seam: what a bus needs to reach other instances. `package` until a second
/// transport has proven it. Every call is bounded by the backend's own timeouts.
package protocol TransportBackend: Sendable {
    /// What it connects through, without credentials.
    var identity: String { get }
    /// The store that shares its connection, if any.
    var store: (any MailboxStore)? { get }
    /// Starts receiving for `instance`: broadcasts of other instances and messages addressed to
    /// `instance` go to `inbox`, in arrival order; `health` hears when receiving stops and starts
    /// again. Returns once it receives.
    /// - Throws: ``TransportFailure`` when it cannot receive (a pooler that breaks LISTEN).
    func start(
        instance: String,
        inbox: @escaping @Sendable (TransportMessage) -> Void,
        health: @escaping @Sendable (TransportFailure?) -> Void
    ) async throws
    /// Stops receiving for `instance` and forgets its responders.
    func stop(instance: String) async
    /// Whether it receives now (nil) or why not.
    var failure: TransportFailure? { get }
    /// Sends broadcasts to every instance (including this one, which skips its own).
    func broadcast(_ messages: [TransportMessage]) async throws
    /// Sends a message to one instance.
    func send(_ message: TransportMessage, to instance: String) async throws
    /// Sends a request to one live responder of `requestName` (not necessarily this instance);
    /// returns the instance it went to, or nil when no live responder is registered anywhere.
    func sendRequest(_ message: TransportMessage, requestName: String) async throws -> String?
    /// Registers (or renews the heartbeat of) `instance` as a responder of each name.
    func register(responders names: [String], instance: String) async throws
    /// Removes `instance` as a responder of `name`.
    func unregister(responder name: String, instance: String) async throws
    /// The body of a message sent by reference (too large for a notification).
    func fetch(reference: Int64) async throws -> [UInt8]
    /// How often responders renew their registration, and after how long without it one is dead.
    var heartbeat: (interval: Duration, expiry: Duration) { get }
}

/// One message between instances. Its body is the envelope as ``EnvelopeCodec`` frames it.
package struct TransportMessage: Sendable, Codable {
    /// What it is.
    package enum Kind: String, Sendable, Codable {
        case broadcast, request, reply, failure, cancel
    }

    /// What it is.
    package var kind: Kind
    /// The sending instance.
    package var from: String
    /// The event or request type's name.
    package var name: String
    /// The request's id (requests, replies, failures, cancels) or the event's id (broadcasts).
    package var id: String
    /// A request's deadline, in milliseconds since 1970 (its responder skips it after that).
    package var deadline: Int64?
    /// The body: the envelope, the response, or a failure's description.
    package var body: [UInt8]
    /// Set instead of `body` when the body travelled by reference (``TransportBackend/fetch(reference:)``).
    package var reference: Int64?

    /// Creates a message.
    package init(
        kind: Kind,
        from: String,
        name: String,
        id: String,
        deadline: Int64? = nil,
        body: [UInt8],
        reference: Int64? = nil
    ) {
        self.kind = kind
        self.from = from
        self.name = name
        self.id = id
        self.deadline = deadline
        self.body = body
        self.reference = reference
    }
}

/// Why the transport does not carry requests and broadcasts now.
public struct TransportFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What happened, without credentials.
    public let reason: String

    /// Makes a failure.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}
