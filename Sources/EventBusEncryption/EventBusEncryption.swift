// EventBusEncryption: stored event bodies encrypted with AES-GCM under a key ring (codec
// `EncryptedEventCodec`, `KeyRing`). Turn on the package trait `EncryptionSupport` to build it
// (swift-crypto is fetched only then); without the trait this module is empty.
//
//     .package(url: "…/EventBus", from: "…", traits: ["EncryptionSupport"])
//     swift build --traits EncryptionSupport
//
// See Documentation/DurableMailboxes.md, "Encryption".
