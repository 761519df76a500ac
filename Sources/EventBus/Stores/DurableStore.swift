import EventLog
import EventQueue

/// Where durable mailboxes keep their events: chosen per mailbox
/// (``Mailbox/durable(name:store:capacity:)``), with a default for the bus
/// (``BusConfiguration/durableStore``), so that mailboxes of several stores live side by side.
///
/// Built in: ``directory(_:sync:)``, an append-only, checksummed log per mailbox on local disk.
/// (The PostgreSQL store of the `PostgresSupport` trait plugs in through the same seam.)
public struct DurableStore: Sendable, Hashable, CustomStringConvertible {
    package let backend: any MailboxStore

    /// A store behind the package's store seam (`MailboxStore`).
    package init(_ backend: any MailboxStore) {
        self.backend = backend
    }

    /// Mailboxes in `path/<name>` on local disk, each an append-only log written under `sync`.
    /// See Documentation/DurableMailboxes.md.
    public static func directory(_ path: String, sync: SyncPolicy = .batched) -> DurableStore {
        DurableStore(FileStore(directory: path, sync: sync))
    }

    /// Where the store keeps mailboxes: "directory /var/lib/shop (sync batched(…))".
    public var description: String { backend.identity }

    /// Equal when they keep mailboxes in the same place the same way.
    public static func == (lhs: DurableStore, rhs: DurableStore) -> Bool {
        lhs.backend.identity == rhs.backend.identity
    }

    /// Hashes where it keeps mailboxes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(backend.identity)
    }
}

/// What the bus lends a store when it opens a mailbox.
package struct StoreContext: Sendable {
    /// Record and segment limits.
    package let options: DurableMailboxOptions
    /// The file system (a test double in fault-injection tests).
    package let fileSystem: any FileSystem
    /// Shared by every file-backed mailbox of the bus.
    package let inlineSyncs: InlineSyncLimit
}

/// The store seam: how the bus makes the storage of a durable mailbox. `package` until a second
/// store (PostgreSQL) has proven it; tests implement it too.
package protocol MailboxStore: Sendable {
    /// Where and how it keeps mailboxes, stable for the process: the store's equality, the key
    /// of a mailbox declared in the process (with its name), and what errors and logs show.
    var identity: String { get }
    /// The storage of mailbox `name`, for events of type `E` encoded by `codec` (the store keeps
    /// the envelope's metadata as it likes). Called once per process per mailbox.
    /// - Throws: ``StoreFailure`` when it cannot be opened.
    func storage<E: Event>(
        forMailbox name: String,
        of type: E.Type,
        codec: any EventCodec<E>,
        context: StoreContext
    ) throws -> any QueueStorage<Envelope<E>>
    /// Deletes mailbox `name` and everything it keeps; nothing when there is none.
    /// - Throws: ``StoreFailure`` (``StoreFailure/locked(path:)`` while another process has it open).
    func removeMailbox(named name: String, context: StoreContext) throws
    /// Deletes the pending events and dead letters of mailbox `name`, which this process has not
    /// declared; the mailbox stays. Nothing when there is none.
    /// - Throws: ``StoreFailure`` (``StoreFailure/locked(path:)`` while another process has it open).
    func purgeMailbox(named name: String, context: StoreContext) async throws -> PurgeReport
    /// A shared store whose mailboxes are consumer groups (``GroupStore``); nil for the others.
    var groups: (any GroupStore)? { get }
    /// The dead letters of mailbox `name`, read from the store without opening the mailbox in
    /// this process (it may be open in another), whatever their type; oldest first, at most
    /// `limit`. A consumer group's default reads them from its ``GroupStore``.
    /// - Throws: ``StoreFailure`` (or the store's error) when they cannot be read.
    func deadLetters(ofMailbox name: String, limit: Int?, context: StoreContext) async throws -> [StoredDeadLetter]
    /// Moves dead letters of mailbox `name` back to pending (all, or those with the given ids;
    /// other ids are ignored), attempts reset, when no process of this bus has it open; how
    /// many. A consumer group's default moves them in its ``GroupStore``.
    /// - Throws: ``StoreFailure`` (``StoreFailure/locked(path:)`` while another process has a
    ///   local mailbox open), or the store's error.
    func requeueDeadLetters(ofMailbox name: String, ids: Set<EventID>?, context: StoreContext) async throws -> Int
}
