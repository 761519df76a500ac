import EventLog
import Synchronization

/// Produces unique ``EventID``s cheaply: a random 64-bit nonce plus an atomic counter.
@usableFromInline
package final class EventIDGenerator: Sendable {
    private let nonce: UInt64
    private let counter = Atomic<UInt64>(0)

    /// Creates a generator with a fresh random nonce.
    package init() {
        var generator = SystemRandomNumberGenerator()
        self.nonce = generator.next()
    }

    /// Creates a generator with a fixed nonce (for deterministic tests).
    package init(nonce: UInt64) {
        self.nonce = nonce
    }

    /// The next identifier; safe to call from any thread.
    @inlinable
    package func next() -> EventID {
        EventID(high: nonceValue, low: increment())
    }

    @usableFromInline
    var nonceValue: UInt64 { nonce }

    @usableFromInline
    func increment() -> UInt64 {
        counter.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
