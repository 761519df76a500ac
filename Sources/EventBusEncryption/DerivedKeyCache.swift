#if EncryptionSupport
    import Crypto
    import EventLog

    /// The keys an ``EncryptedEventCodec`` derived to open records, by key id and salt: the
    /// records of one stored batch share a salt, so reading them back derives one key per batch,
    /// not one per record. Holds the last 64 (a batch's records are read one after another).
    final class DerivedKeyCache: Sendable {
        private struct Entry {
            let keyID: String
            let salt: [UInt8]
            let key: SymmetricKey
        }

        static let capacity = 64
        /// Newest last; guarded by `Locked`'s mutex.
        private let entries = Locked<[Entry]>([])

        /// The key of `keyID` and `salt`, derived by `derive` the first time.
        func key(keyID: String, salt: [UInt8], derive: () -> SymmetricKey) -> SymmetricKey {
            if let found = entries.withLock({ entries in
                entries.last { $0.salt == salt && $0.keyID == keyID }?.key
            }) {
                return found
            }
            let key = derive()
            entries.withLock { entries in
                if entries.count >= Self.capacity { entries.removeFirst(entries.count - Self.capacity + 1) }
                entries.append(Entry(keyID: keyID, salt: salt, key: key))
            }
            return key
        }
    }
#endif
