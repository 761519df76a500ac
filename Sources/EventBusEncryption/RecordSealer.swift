#if EncryptionSupport
    import Crypto
    import EventBus
    import Foundation

    /// The sealed form of a body and the associated data it is bound to.
    ///
    /// A body, format 1: `0x01`, the key id (`UInt8` length + UTF-8), a 16-byte salt, a 12-byte
    /// nonce, the ciphertext, the 16-byte tag. The key that seals it is not the ring's key itself
    /// but one derived from it and the salt (HKDF-Expand with SHA-256, the ring's key as the
    /// pseudo-random key — it is 32 uniformly random bytes, so HKDF's extract step adds nothing —
    /// and info "eventbus aes-gcm record key" + salt): a
    /// batch derives one key from a fresh random salt and numbers its records' nonces 0, 1, 2…,
    /// so no nonce is ever used twice under one key, whatever the number of records under a ring
    /// key. (Random 96-bit nonces under one key would allow about 2³² records before a repeat
    /// became likely: under an hour at the durable batched rate. Random 128-bit salts make two
    /// batches derive the same key with probability about n²/2¹²⁹ for n batches.)
    ///
    /// The associated data binds the record: a domain string, the format, the key id and salt,
    /// the event's id, name, schema version, codec id, correlation id, ordering key and headers
    /// (sorted). A body moved to another record, or a record whose metadata or key id was
    /// changed, fails authentication.
    enum RecordSealer {
        static let format: UInt8 = 1
        static let saltSize = 16
        static let nonceSize = 12
        static let tagSize = 16
        static let derivationInfo = Array("eventbus aes-gcm record key".utf8)

        /// A key derived from a ring key and a salt, and the records it sealed so far.
        struct BatchKey {
            let keyID: String
            let salt: [UInt8]
            let key: SymmetricKey
            var sealed: UInt64 = 0

            /// A fresh salt (BoringSSL's random generator, as for keys: one system call for 16
            /// bytes would cost more than the rest of a batch of one), and the key derived from it.
            init(keyID: String, ringKey: SymmetricKey) {
                self.keyID = keyID
                self.salt = SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }
                self.key = RecordSealer.derive(ringKey, salt: salt)
            }
        }

        static func derive(_ ringKey: SymmetricKey, salt: [UInt8]) -> SymmetricKey {
            HKDF<SHA256>.expand(pseudoRandomKey: ringKey, info: derivationInfo + salt, outputByteCount: 32)
        }

        /// Appends the sealed `plaintext` of the record `info` to `bytes`, with the next nonce of
        /// `batch`.
        static func seal(
            _ plaintext: [UInt8],
            info: StoredEventInfo,
            batch: inout BatchKey,
            into bytes: inout [UInt8]
        ) throws {
            var nonceBytes = [UInt8](repeating: 0, count: nonceSize)
            withUnsafeBytes(of: batch.sealed.bigEndian) { counter in
                nonceBytes.replaceSubrange(4..<12, with: counter)
            }
            batch.sealed += 1
            let header = self.header(keyID: batch.keyID, salt: batch.salt)
            let box = try AES.GCM.seal(
                plaintext,
                using: batch.key,
                nonce: try AES.GCM.Nonce(data: nonceBytes),
                authenticating: associatedData(header: header, info: info)
            )
            bytes += header
            bytes += nonceBytes
            bytes += box.ciphertext
            bytes += box.tag
        }

        /// The plaintext of a sealed body.
        /// - Throws: `CodecError/undecryptable(keyID:reason:)`: a malformed body, a key the ring
        ///   does not have, or a failed authentication.
        static func open(
            _ body: [UInt8],
            info: StoredEventInfo,
            keys: KeyRing,
            cache: DerivedKeyCache? = nil
        ) throws(CodecError) -> [UInt8] {
            guard body.count >= 2, body[0] == format else {
                throw .undecryptable(keyID: nil, reason: "not a sealed body of format \(format)")
            }
            let idLength = Int(body[1])
            let headerEnd = 2 + idLength + saltSize
            guard body.count >= headerEnd + nonceSize + tagSize,
                let keyID = String(validating: body[2..<(2 + idLength)], as: UTF8.self)
            else {
                throw .undecryptable(keyID: nil, reason: "a sealed body too short to hold its key id, nonce and tag")
            }
            guard let ringKey = keys.key(id: keyID) else {
                throw .undecryptable(
                    keyID: keyID,
                    reason: "the key ring has no key \"\(keyID)\" (rotated out, or deleted on purpose)"
                )
            }
            let salt = Array(body[(2 + idLength)..<headerEnd])
            let nonceEnd = headerEnd + nonceSize
            do {
                let box = try AES.GCM.SealedBox(
                    nonce: try AES.GCM.Nonce(data: body[headerEnd..<nonceEnd]),
                    ciphertext: body[nonceEnd..<(body.count - tagSize)],
                    tag: body[(body.count - tagSize)...]
                )
                let key = cache?.key(keyID: keyID, salt: salt) { derive(ringKey, salt: salt) }
                let plaintext = try AES.GCM.open(
                    box,
                    using: key ?? derive(ringKey, salt: salt),
                    authenticating: associatedData(header: Array(body[..<headerEnd]), info: info)
                )
                return Array(plaintext)
            } catch {
                throw .undecryptable(
                    keyID: keyID,
                    reason: "authentication failed: the body, its tag, its key id or the record's metadata was changed"
                )
            }
        }

        /// The body's header: format, key id, salt.
        static func header(keyID: String, salt: [UInt8]) -> [UInt8] {
            let id = Array(keyID.utf8.prefix(255))
            return [format, UInt8(id.count)] + id + salt
        }

        /// What the tag binds: the domain, the body's header, and the record's information.
        static func associatedData(header: [UInt8], info: StoredEventInfo) -> [UInt8] {
            var bytes = Array("eventbus aes-gcm record v1".utf8)
            func put(_ text: String?) {
                guard let text else {
                    bytes.append(0)
                    return
                }
                let utf8 = Array(text.utf8)
                bytes.append(1)
                withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes += $0 }
                bytes += utf8
            }
            withUnsafeBytes(of: UInt32(header.count).littleEndian) { bytes += $0 }
            bytes += header
            withUnsafeBytes(of: info.id.high.littleEndian) { bytes += $0 }
            withUnsafeBytes(of: info.id.low.littleEndian) { bytes += $0 }
            put(info.eventName)
            withUnsafeBytes(of: Int64(info.schemaVersion).littleEndian) { bytes += $0 }
            put(info.codecID)
            put(info.correlationID)
            put(info.orderingKey)
            withUnsafeBytes(of: UInt32(info.headers.count).littleEndian) { bytes += $0 }
            for (name, value) in info.headers.sorted(by: { $0.key < $1.key }) {
                put(name)
                put(value)
            }
            return bytes
        }
    }
#endif
