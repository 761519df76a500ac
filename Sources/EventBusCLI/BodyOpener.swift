import CommandLineSupport
import EventBus

#if EncryptionSupport
    import EventBusEncryption
#endif

/// `--keys FILE` of `eventbus dump`: a key ring that opens encrypted bodies for the preview.
/// Without it (or without the trait `EncryptionSupport`) an encrypted body is shown as such.
enum BodyOpener {
    /// The option, in the help of `dump` (local and `--postgres`).
    static let option = OptionSpec(
        "--keys",
        value: "FILE",
        help: "a key ring file ({\"current\": ID, \"keys\": {ID: BASE64}}) to show encrypted bodies in clear"
    )

    /// The preview of an encrypted body, or nil for any other: its plaintext (the inner codec's
    /// bytes), or why it does not open.
    typealias Open = (_ body: [UInt8], _ info: StoredEventInfo) -> String?

    /// The opener of the key ring file at `path` (nil: none given).
    /// - Throws: ``BodyOpenerError`` when the file is not a key ring, or the tool was built
    ///   without the trait.
    static func make(path: String?) throws -> Open? {
        guard let path else { return nil }
        #if EncryptionSupport
            let ring: KeyRing
            do {
                ring = try KeyRing(contentsOfFile: path)
            } catch {
                throw BodyOpenerError.keyRing(error.description)
            }
            return { body, info in
                guard let codec = info.codecID, EncryptedBodies.isEncrypted(codecID: codec) else { return nil }
                do {
                    return MailboxTools.preview(try ring.open(body, info: info))
                } catch {
                    return "undecryptable: \(error)"
                }
            }
        #else
            throw BodyOpenerError.builtWithoutTrait
        #endif
    }
}

/// Why `--keys` was refused.
enum BodyOpenerError: Error, Equatable, CustomStringConvertible {
    /// This `eventbus` was built without the trait `EncryptionSupport`.
    case builtWithoutTrait
    /// The file is not a key ring (never shows a key).
    case keyRing(String)

    var description: String {
        switch self {
        case .builtWithoutTrait:
            "this eventbus was built without the EncryptionSupport trait: swift build --traits EncryptionSupport"
        case .keyRing(let reason): reason
        }
    }
}
