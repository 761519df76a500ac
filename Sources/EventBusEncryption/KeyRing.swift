#if EncryptionSupport
    import Crypto
    import EventBus
    import Foundation

    /// The keys of an ``EncryptedEventCodec``: the current one, which encrypts new records, and
    /// older ones kept for reading records they encrypted. Each record names its key by id.
    ///
    /// Rotation is adding a key and making it current (``rotated(to:key:)``): new records use it,
    /// records of the earlier keys still open. Deleting a key (``removingKey(_:)``) makes the
    /// records it encrypted unreadable for good — crypto-shredding: they stay where they are and
    /// are reported as dead letters (`DeadLetterReason/undecryptable(keyID:_:)`), never decoded.
    ///
    /// ```swift
    /// let ring = try KeyRing(contentsOfFile: "/run/secrets/eventbus-keys.json")
    /// let codec = EncryptedEventCodec(JSONEventCodec<OrderPlaced>(), keyRing: ring)
    /// ```
    public struct KeyRing: Sendable {
        /// The id of the key that encrypts new records.
        public let currentKeyID: String
        private let keys: [String: SymmetricKey]

        /// A ring of `keys` (32 bytes each) whose key `currentKeyID` encrypts new records.
        /// - Throws: ``KeyRingError`` for a bad id or size, or a current id with no key.
        public init(currentKeyID: String, keys: [String: SymmetricKey]) throws(KeyRingError) {
            for (id, key) in keys {
                guard Self.isValid(id) else { throw .invalidKeyID(id) }
                guard key.bitCount == 256 else { throw .invalidKeySize(keyID: id, bytes: key.bitCount / 8) }
            }
            guard keys[currentKeyID] != nil else { throw .noCurrentKey(currentKeyID) }
            self.currentKeyID = currentKeyID
            self.keys = keys
        }

        /// A ring read from JSON: `{"current": "2026-12", "keys": {"2026-11": "<base64>", …}}`,
        /// each key the Base64 of 32 random bytes (`openssl rand -base64 32`).
        /// - Throws: ``KeyRingError/malformed(_:)``, or as ``init(currentKeyID:keys:)``.
        public init(json: [UInt8]) throws(KeyRingError) {
            let file: KeyRingFile
            do {
                file = try JSONDecoder().decode(KeyRingFile.self, from: Data(json))
            } catch {
                throw .malformed("expected {\"current\": ID, \"keys\": {ID: BASE64, …}}")
            }
            var keys: [String: SymmetricKey] = [:]
            for (id, text) in file.keys {
                guard let bytes = Data(base64Encoded: text) else { throw .malformed("key \"\(id)\" is not Base64") }
                keys[id] = SymmetricKey(data: bytes)
            }
            try self.init(currentKeyID: file.current, keys: keys)
        }

        /// A ring read from a JSON file (see ``init(json:)``). Keep the file readable by the
        /// service's user only.
        /// - Throws: ``KeyRingError/unreadableFile(path:reason:)``, or as ``init(json:)``.
        public init(contentsOfFile path: String) throws(KeyRingError) {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw .unreadableFile(path: path, reason: (error as NSError).localizedDescription)
            }
            try self.init(json: Array(data))
        }

        /// A new random 256-bit key.
        public static func generateKey() -> SymmetricKey { SymmetricKey(size: .bits256) }

        /// The ids of the keys, sorted.
        public var keyIDs: [String] { keys.keys.sorted() }

        /// The key with id `id`, if the ring has it.
        public func key(id: String) -> SymmetricKey? { keys[id] }

        /// Rotation: the ring with `key` added as `keyID` and made current. The earlier keys stay,
        /// to read what they encrypted.
        /// - Throws: ``KeyRingError/duplicateKeyID(_:)`` for an id the ring has with another key.
        public func rotated(to keyID: String, key: SymmetricKey) throws(KeyRingError) -> KeyRing {
            if let existing = keys[keyID], existing != key { throw .duplicateKeyID(keyID) }
            var keys = self.keys
            keys[keyID] = key
            return try KeyRing(currentKeyID: keyID, keys: keys)
        }

        /// The ring without key `keyID`: what it encrypted can never be read again
        /// (crypto-shredding). A ring without it that is handed to a codec reports those records
        /// as dead letters, `DeadLetterReason/undecryptable(keyID:_:)`.
        /// - Throws: ``KeyRingError/removingCurrentKey(_:)``.
        public func removingKey(_ keyID: String) throws(KeyRingError) -> KeyRing {
            guard keyID != currentKeyID else { throw .removingCurrentKey(keyID) }
            var keys = self.keys
            keys[keyID] = nil
            return try KeyRing(currentKeyID: currentKeyID, keys: keys)
        }

        /// The JSON of ``init(json:)`` (it holds the keys: write it only where they belong).
        public func json() -> [UInt8] {
            let file = KeyRingFile(
                current: currentKeyID,
                keys: keys.mapValues { key in key.withUnsafeBytes { Data($0).base64EncodedString() } }
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            return Array((try? encoder.encode(file)) ?? Data())
        }

        /// Opens a body an ``EncryptedEventCodec`` wrote, given what its record stores beside it
        /// (`StoredDeadLetter/info`): the inner codec's bytes — the event's JSON, for a codec
        /// over `JSONEventCodec`. For tools that show dead letters (`eventbus dump --keys`).
        /// - Throws: `CodecError/undecryptable(keyID:reason:)`.
        public func open(_ body: [UInt8], info: StoredEventInfo) throws(CodecError) -> [UInt8] {
            try RecordSealer.open(body, info: info, keys: self)
        }

        /// `[A-Za-z0-9._-]{1,64}`.
        static func isValid(_ id: String) -> Bool {
            let bytes = Array(id.utf8)
            return (1...64).contains(bytes.count)
                && bytes.allSatisfy { byte in
                    (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                        || byte == 0x2E || byte == 0x5F || byte == 0x2D
                }
        }
    }
#endif
