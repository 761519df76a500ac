/// A 128-bit identifier, unique per event, used for acknowledgement, dedup and logs.
///
/// The high half is a random nonce chosen once per bus (its id generator); the low half is
/// a counter. Two generators collide only if their 64-bit random nonces do.
public struct EventID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The high 64 bits.
    public let high: UInt64
    /// The low 64 bits.
    public let low: UInt64

    /// Creates an identifier from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A fresh random identifier (one system random call; a bus uses a generator: one nonce, then a counter).
    public static func random() -> EventID {
        var generator = SystemRandomNumberGenerator()
        return EventID(high: generator.next(), low: generator.next())
    }

    /// Orders identifiers by their high, then low half.
    public static func < (lhs: EventID, rhs: EventID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// 32 lowercase hexadecimal digits.
    public var description: String {
        hex(high) + hex(low)
    }

    /// Parses the 32-digit hexadecimal form produced by ``description``.
    public init?(_ text: String) {
        guard text.utf8.count == 32,
            let high = UInt64(text.prefix(16), radix: 16),
            let low = UInt64(text.suffix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }
}

private func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
