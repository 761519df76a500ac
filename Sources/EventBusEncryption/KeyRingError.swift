#if EncryptionSupport
    /// Why a ``KeyRing`` could not be made or changed.
    public enum KeyRingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// A key id that is not 1 to 64 of `A-Z a-z 0-9 . _ -`.
        case invalidKeyID(String)
        /// A key that is not 32 bytes (AES-256).
        case invalidKeySize(keyID: String, bytes: Int)
        /// The current key id names no key of the ring.
        case noCurrentKey(String)
        /// Removing the current key (make another current first).
        case removingCurrentKey(String)
        /// Adding a key id the ring has already, with another key.
        case duplicateKeyID(String)
        /// The key ring file could not be read.
        case unreadableFile(path: String, reason: String)
        /// The key ring's JSON is not `{"current": ID, "keys": {ID: BASE64, …}}`.
        case malformed(String)

        /// A sentence for people; never a key.
        public var description: String {
            switch self {
            case .invalidKeyID(let id): "invalid key id \"\(id)\": use 1 to 64 of A-Z a-z 0-9 . _ -"
            case .invalidKeySize(let id, let bytes): "key \"\(id)\" has \(bytes) bytes; AES-256 keys have 32"
            case .noCurrentKey(let id): "the current key id \"\(id)\" names no key of the ring"
            case .removingCurrentKey(let id): "key \"\(id)\" is the current key: make another current first"
            case .duplicateKeyID(let id): "the key ring has a key \"\(id)\" already"
            case .unreadableFile(let path, let reason): "cannot read the key ring \(path): \(reason)"
            case .malformed(let reason): "malformed key ring: \(reason)"
            }
        }
    }
#endif
