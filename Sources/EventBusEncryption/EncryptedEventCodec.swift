#if EncryptionSupport
    import Crypto
    import EventBus

    /// Encrypts the bodies of another codec with AES-256-GCM under a ``KeyRing``: what a durable
    /// mailbox stores — a log's file, its backups, a PostgreSQL row — shows no event data.
    ///
    /// ```swift
    /// let ring = try KeyRing(contentsOfFile: "/run/secrets/eventbus-keys.json")
    /// try await bus.consume(
    ///     OrderPlaced.self,
    ///     mailbox: .durable(name: "billing", directory: "/var/lib/shop"),
    ///     codec: EncryptedEventCodec(JSONEventCodec<OrderPlaced>(), keyRing: ring)
    /// ) { order in try await charge(order) }
    /// ```
    ///
    /// - New records are sealed with the ring's current key; a record names its key by id, so
    ///   records of older keys in the ring still open.
    /// - The record's id, event name, schema version, codec id, correlation id, ordering key and
    ///   headers stay in clear — they route — and are authenticated with the body: a body moved
    ///   to another record, or a changed header, fails to open.
    /// - A body that does not open — its key is missing, or a byte of it, its tag or its key id
    ///   was changed — is never decoded: it is a dead letter,
    ///   `DeadLetterReason/undecryptable(keyID:_:)`, kept until it is requeued with the key
    ///   back (or for good, if the key was deleted on purpose).
    ///
    /// The nonce scheme is in Documentation/DurableMailboxes.md, "Encryption": a key derived per
    /// batch (HKDF-SHA256 with a random salt), nonces numbered within it.
    public struct EncryptedEventCodec<Inner: EventCodec>: EventCodec {
        /// The event type.
        public typealias Value = Inner.Value

        /// The codec whose bodies it encrypts.
        public let inner: Inner
        /// The keys.
        public let keyRing: KeyRing
        /// Whether it also reads bodies that were stored unencrypted by `inner` (records from
        /// before encryption was turned on for the mailbox). Off by default: then such a record
        /// is a dead letter, and nothing unauthenticated is ever decoded.
        public let readsPlaintext: Bool
        /// The keys derived to open records, shared by the codec's copies.
        let derivedKeys = DerivedKeyCache()

        /// Encrypts `inner`'s bodies with `keyRing`'s current key.
        public init(_ inner: Inner, keyRing: KeyRing, readsPlaintext: Bool = false) {
            self.inner = inner
            self.keyRing = keyRing
            self.readsPlaintext = readsPlaintext
        }

        /// `aes-gcm(` + the inner codec's id + `)`.
        public var codecID: String { "aes-gcm(\(inner.codecID))" }

        /// True: the record's information is bound to its body.
        public var needsRecordInfo: Bool { true }

        /// Refused: a body is bound to its record (a durable mailbox encodes through
        /// ``recordEncoder()``).
        /// - Throws: `CodecError/undecryptable(keyID:reason:)`, always.
        public func encode(_ event: Value) throws -> [UInt8] {
            throw CodecError.undecryptable(keyID: nil, reason: "an encrypted body needs its record's information")
        }

        /// Refused: a body opens only with its record's information (``decode(_:info:)``).
        /// - Throws: `CodecError/undecryptable(keyID:reason:)`, always.
        public func decode(_ bytes: [UInt8]) throws -> Value {
            throw CodecError.undecryptable(
                keyID: nil,
                reason: "an encrypted body opens only with its record's information"
            )
        }

        /// Encodes each event with `inner`'s batch encoder, then seals it: one derived key per
        /// batch, its nonces numbered.
        public func recordEncoder() -> (Value, StoredEventInfo, inout [UInt8]) throws -> Void {
            let plain = inner.needsRecordInfo ? nil : inner.batchEncoder()
            let recordPlain = inner.needsRecordInfo ? inner.recordEncoder() : nil
            let ring = keyRing
            var batch: RecordSealer.BatchKey?
            var buffer: [UInt8] = []
            return { event, info, bytes in
                buffer.removeAll(keepingCapacity: true)
                if let plain {
                    try plain(event, &buffer)
                } else if let recordPlain {
                    var inner = info
                    inner.codecID = self.inner.codecID
                    try recordPlain(event, inner, &buffer)
                }
                if batch == nil || batch?.sealed == UInt64(UInt32.max) {
                    guard let key = ring.key(id: ring.currentKeyID) else {
                        throw CodecError.undecryptable(keyID: ring.currentKeyID, reason: "the current key is missing")
                    }
                    batch = RecordSealer.BatchKey(keyID: ring.currentKeyID, ringKey: key)
                }
                guard var key = batch else { return }
                try RecordSealer.seal(buffer, info: info, batch: &key, into: &bytes)
                batch = key
            }
        }

        /// Opens a body this codec sealed (any key of the ring) and decodes it with `inner` —
        /// which, for an older schema version, upcasts it first. A body `inner` stored unencrypted
        /// is read only with ``readsPlaintext``.
        /// - Throws: `CodecError/undecryptable(keyID:reason:)` for a body that does not open;
        ///   `CodecError/codecMismatch(eventName:stored:expected:)` for another codec's body.
        public func decode(_ bytes: [UInt8], info: StoredEventInfo) throws -> Value {
            var plain = info
            plain.codecID = inner.codecID
            switch info.codecID {
            case codecID?:
                let opened = try RecordSealer.open(bytes, info: info, keys: keyRing, cache: derivedKeys)
                return try inner.decode(opened, info: plain)
            case inner.codecID? where readsPlaintext, nil where readsPlaintext:
                return try inner.decode(bytes, info: info)
            case nil, inner.codecID?:
                throw CodecError.undecryptable(
                    keyID: nil,
                    reason: "the body is not encrypted (stored before encryption was turned on: "
                        + "readsPlaintext reads such records)"
                )
            case let stored?:
                throw CodecError.codecMismatch(eventName: info.eventName, stored: stored, expected: codecID)
            }
        }
    }

    extension EncryptedEventCodec {
        /// Encrypts the JSON of a `Codable` event type (`JSONEventCodec`).
        public init<E: Event & Codable>(
            for type: E.Type,
            keyRing: KeyRing,
            readsPlaintext: Bool = false
        ) where Inner == JSONEventCodec<E> {
            self.init(JSONEventCodec<E>(), keyRing: keyRing, readsPlaintext: readsPlaintext)
        }
    }
#endif
