#if EncryptionSupport
    /// A key ring as a file keeps it: `{"current": "2026-12", "keys": {"2026-11": "<base64>", …}}`.
    struct KeyRingFile: Codable {
        /// The id of the key that encrypts new records.
        var current: String
        /// Every key, by id, as Base64 of its 32 bytes.
        var keys: [String: String]
    }
#endif
