import Foundation

/// The event an inline callback is handling, for ``EventContext/current`` and the correlation id
/// of what it emits: a slot of the calling thread, set for exactly the duration of the
/// synchronous call (an inline callback cannot suspend, so the thread is the right scope).
///
/// A task-local binding did the same at about a tenth of an inline publish (the runtime checks
/// for task groups on every push); this is two thread-specific reads and two writes. The slot
/// points at the `Current` value on the stack of ``with(_:_:)``, which outlives the call.
enum InlineContext {
    /// The key of the slot (made once; the slot of each thread starts empty).
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        precondition(status == 0, "pthread_key_create failed: \(status)")
        return key
    }()

    /// The event the inline callback running on this thread handles, if any.
    static var current: EventContext.Current? {
        guard let slot = pthread_getspecific(key) else { return nil }
        return slot.assumingMemoryBound(to: EventContext.Current.self).pointee
    }

    /// Runs `body` with `current` as this thread's inline context, then restores what it was.
    static func with<R>(_ current: EventContext.Current, _ body: () throws -> R) rethrows -> R {
        let key = self.key
        let previous = pthread_getspecific(key)
        return try withUnsafePointer(to: current) { pointer in
            pthread_setspecific(key, pointer)
            defer { pthread_setspecific(key, previous) }
            return try body()
        }
    }
}
