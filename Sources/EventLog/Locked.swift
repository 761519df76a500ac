#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value guarded by a `pthread_mutex_t`.
///
/// Used instead of `Synchronization.Mutex` because ThreadSanitizer intercepts pthread mutexes
/// but cannot see the futex-based `Mutex` of the prebuilt Synchronization library, which made
/// every access under it look like a race. Uncontended, the two cost the same.
@usableFromInline
package final class Locked<State>: @unchecked Sendable {
    // @unchecked Sendable: `state` is only read or written between `pthread_mutex_lock` and
    // `pthread_mutex_unlock` of `mutex`, in `withLock`.
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// The state, out of line: an `inout` access through a pointer needs no run-time exclusivity
    /// check (a class's stored `var` would get one per `withLock`); the mutex provides exclusivity.
    @usableFromInline let state: UnsafeMutablePointer<State>

    @usableFromInline
    package init(_ state: State) {
        self.state = UnsafeMutablePointer<State>.allocate(capacity: 1)
        self.state.initialize(to: state)
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        #if canImport(Glibc)
            // Adaptive: a contended lock spins briefly before sleeping in the kernel. Critical
            // sections here are a few hundred nanoseconds, far shorter than a futex sleep and wake.
            var attributes = pthread_mutexattr_t()
            pthread_mutexattr_init(&attributes)
            pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
            pthread_mutex_init(mutex, &attributes)
            pthread_mutexattr_destroy(&attributes)
        #else
            pthread_mutex_init(mutex, nil)
        #endif
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Runs `body` with exclusive access to the state.
    @inlinable
    package func withLock<Result, Failure: Error>(
        _ body: (inout State) throws(Failure) -> Result
    ) throws(Failure)
        -> Result
    {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state.pointee)
    }
}
