/// What `eventbus dump` knows of encrypted bodies without a key ring: that they are encrypted,
/// under which key, and how large.
enum EncryptedBodies {
    /// Whether the codec id is an encrypting codec's (`aes-gcm(…)`).
    static func isEncrypted(codecID: String) -> Bool { codecID.hasPrefix("aes-gcm(") }

    /// "encrypted, key k1, 84 bytes" (the key id is in clear at the body's start).
    static func describe(_ body: [UInt8]) -> String {
        guard body.count >= 2, body[0] == 1, body.count >= 2 + Int(body[1]),
            let key = String(validating: body[2..<(2 + Int(body[1]))], as: UTF8.self)
        else { return "encrypted, \(body.count) bytes" }
        return "encrypted, key \(key), \(body.count) bytes"
    }
}
