import Dispatch
import Synchronization

extension FileLog {
    /// Callers whose records are buffered for the next write (tests watch group commit with it).
    package var bufferedWaiters: Int { state.withLock { $0.waiters.count } }

    /// Buffers records (`appendRecords` encodes them into `state.buffer`, under the lock) and waits
    /// until they are written (and fsynced, when `durable` and the policy says so). Concurrent
    /// callers share one write and one fsync.
    ///
    /// `bytes` is the size of the records, `appending` how many of them are new events and
    /// `settling` how many acknowledge one: the current segment must have room allocated for
    /// them and for what the log then owes (``makeRoom(_:bytes:appending:settling:)``), or the
    /// write is refused with ``StoreFailure/diskFull(path:)`` and nothing is buffered.
    func write(
        durable: Bool,
        records: Int = 1,
        bytes: Int,
        appending: Int = 0,
        settling: Int = 0,
        _ appendRecords: @escaping (inout LogWriterState) -> Void
    ) async throws {
        let space = Space(bytes: bytes, appending: appending, settling: settling)
        if leadsWhenIdle, try lead(durable: durable, space: space, appendRecords) { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let schedule: FlushSchedule? = state.withLock { state in
                if let refusal = state.refusal {
                    continuation.resume(throwing: refusal)
                    return nil
                }
                do throws(StoreFailure) {
                    try take(space, in: &state)
                } catch {
                    continuation.resume(throwing: error)
                    return nil
                }
                appendRecords(&state)
                state.waiters.append(LogWaiter(continuation: continuation))
                if durable, sync != .none { state.needsSync = true }
                if durable {
                    state.durableRecords += records
                    state.countDurableCaller()
                }
                switch sync {
                case .always where durable && state.holding:
                    guard !state.awaitsGroup(), !state.holdSignalled else { return .nothing }
                    state.holdSignalled = true
                    return .signal
                case .always where durable && state.awaitsGroup() && !state.scheduled:
                    // The last fsync released several callers and they are coming back: one
                    // flush on the I/O queue waits for all of them (or one fsync's time) rather
                    // than the first one back taking an fsync alone.
                    state.scheduled = true
                    state.holding = true
                    state.holdSignalled = false
                    return .hold(.nanoseconds(Int64(clamping: min(state.lastSyncNanoseconds, 2_000_000))))
                case .batched(let interval, let count) where durable:
                    if state.durableRecords >= count && !state.scheduled {
                        state.scheduled = true
                        return .now
                    }
                    if !state.scheduled && !state.delayedScheduled {
                        state.delayedScheduled = true
                        return .later(interval)
                    }
                    return .nothing
                default:
                    if state.scheduled { return .nothing }
                    state.scheduled = true
                    return .now
                }
            }
            switch schedule {
            case .now?: io.async { self.flush() }
            case .later(let interval)?:
                io.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds(interval)))) {
                    self.state.withLock { $0.delayedScheduled = false }
                    self.flush()
                }
            case .hold(let limit)?:
                io.async {
                    let timedOut =
                        self.groupBack.wait(timeout: .now() + .nanoseconds(Int(nanoseconds(limit)))) == .timedOut
                    let signalled = self.state.withLock { state in
                        state.holding = false
                        return state.holdSignalled
                    }
                    // A signal sent as the wait ran out is still on its way: take it now.
                    if timedOut && signalled { self.groupBack.wait() }
                    self.flush()
                }
            case .signal?:
                groupBack.signal()
            case .nothing?, nil: break
            }
        }
    }

    /// Whether a caller that finds the log idle flushes on its own thread: not with `.batched`,
    /// whose timer decides when a group is written.
    var leadsWhenIdle: Bool {
        if case .batched = sync { return false }
        return true
    }

    /// Without a timer policy, a caller that finds the log idle (no flush queued or running)
    /// writes its records, and fsyncs them when the policy says so, on its own thread, through
    /// `io.sync`: it waits for that fsync either way, and doing it here saves the two thread
    /// hand-offs of queueing the flush and resuming the caller (60–100 µs per commit measured
    /// on the project's machine, a third of an fsync). At most one caller per log blocks like this,
    /// and at most `inlineSyncs.threads` across the logs sharing the limit; whoever arrives
    /// meanwhile, or finds the limit taken, is suspended and joins the next flush on the I/O queue.
    /// So is the first caller back of a group that the last fsync released: the next flush waits
    /// for the rest of the group (see `write`).
    /// - Returns: true when the records were flushed here; false when the caller must wait.
    func lead(
        durable: Bool,
        space: Space,
        _ appendRecords: (inout LogWriterState) -> Void
    ) throws(StoreFailure) -> Bool {
        guard inlineSyncs.take() else { return false }
        defer { inlineSyncs.give() }
        let leads: Bool = try state.withLock { state throws(StoreFailure) in
            if let refusal = state.refusal { throw refusal }
            guard !state.scheduled && !state.flushing else { return false }
            // The first of a released group back does not fsync alone (see `write`).
            if durable && sync == .always && state.awaitsGroup(arriving: 1) { return false }
            try take(space, in: &state)
            appendRecords(&state)
            if durable { state.countDurableCaller() }
            if durable, sync != .none { state.needsSync = true }
            state.scheduled = true
            state.inlineFlushes += 1
            return true
        }
        guard leads else { return false }
        if let failure = io.sync(execute: { flush() }) { throw failure }
        return true
    }

    /// Makes room for records about to be buffered and counts the events they append or settle.
    func take(_ space: Space, in state: inout LogWriterState) throws(StoreFailure) {
        try makeRoom(&state, bytes: space.bytes, appending: space.appending, settling: space.settling)
        state.unsettled += space.appending - space.settling
    }

    /// Flushes run on a caller's own thread so far (tests watch the ``InlineSyncLimit`` with it).
    package var inlineFlushes: Int { state.withLock { $0.inlineFlushes } }

    /// Runs on the I/O queue (or in `io.sync`): one write, at most one fsync, for everything
    /// buffered. Returns the failure of that write, or — when there was nothing to write, because
    /// an earlier flush (`close()`) took it — the log's poisoning, if any.
    @discardableResult
    func flush() -> StoreFailure? {
        var (bytes, waiters, needsSync, fd, file, poisoned, appended) = state.withLock { state in
            if state.needsSync {
                state.released = state.groupCallers
                state.returned = 0
            }
            state.groupCallers = 0
            state.writing = state.buffer.count
            defer {
                state.bufferedAppends = state.spareAppends
                state.spareAppends = []
                // The buffer the last flush wrote, emptied: filling a fresh one paged in new
                // memory (and grew it by doubling) for every group.
                state.buffer = state.spareBuffer
                state.spareBuffer = []
                state.waiters = []
                state.needsSync = false
                state.durableRecords = 0
                state.scheduled = false
                state.flushing = true
            }
            return (
                state.buffer, state.waiters, state.needsSync, state.fd, state.segmentPath, state.poisoned,
                state.bufferedAppends
            )
        }
        defer { state.withLock { $0.flushing = false } }
        guard !waiters.isEmpty || !bytes.isEmpty else { return poisoned.map { .refusingWrites(since: $0) } }
        var failure: StoreFailure?
        var reserved: Int?
        if state.withLock({ $0.poisoned }) == nil, fd >= 0 {
            let (start, available) = state.withLock { ($0.segmentBytes, $0.segmentReserved) }
            do {
                if start + bytes.count > available {
                    // Normally allocated ahead when the records were buffered (`makeRoom`): the
                    // fsyncs of the writes that fill this space do not also have to record a
                    // growing file size (about a third of an fsync here).
                    let size = reservation(for: start + bytes.count)
                    try fileSystem.allocate(fd, to: size, path: file)
                    reserved = size
                }
                try fileSystem.write(fd, bytes, at: start, path: file)
                if needsSync {
                    let started = ContinuousClock.now
                    try fileSystem.sync(fd, path: file)
                    let took = UInt64(clamping: nanoseconds(ContinuousClock.now - started))
                    state.withLock { $0.lastSyncNanoseconds = took }
                }
            } catch {
                failure = error
                reserved = nil
                if case .diskFull = error {
                    // Nothing was stored; the log goes on. Zero what may have reached the file
                    // (keeping the space allocated for acknowledgements), so that a reopen does
                    // not see half a batch; the next write goes to the same place.
                    do {
                        try fileSystem.write(fd, [UInt8](repeating: 0, count: bytes.count), at: start, path: file)
                    } catch {
                        try? fileSystem.truncate(fd, to: start, path: file)
                    }
                } else {
                    // Never report success after a failed write or fsync: refuse until reopened,
                    // and cut what may have reached the file so that a reopen does not see half
                    // a batch.
                    try? fileSystem.truncate(fd, to: start, path: file)
                }
            }
        } else {
            failure = state.withLock { $0.poisoned }.map { .refusingWrites(since: $0) } ?? .closed
        }
        state.withLock { state in
            state.writing = 0
            if let failure {
                // The events of this group were not stored: they owe nothing and index nowhere.
                state.unsettled -= appended.count
                if case .diskFull = failure {
                    state.segmentReserved = max(state.segmentBytes, (try? fileSystem.size(fd, path: file)) ?? 0)
                } else {
                    if state.poisoned == nil { state.poisoned = failure }
                    state.segmentReserved = state.segmentBytes
                }
            } else {
                state.segmentBytes += bytes.count
                if let reserved { state.segmentReserved = max(state.segmentReserved, reserved) }
                for id in appended {
                    state.recent.append(id)
                    if state.recent.count > 10_000 { _ = state.recent.popFirst() }
                    state.segmentOf.set(id, segment: state.segment)
                }
                if !appended.isEmpty { state.live[state.segment, default: 0] += appended.count }
            }
            appended.removeAll(keepingCapacity: true)
            state.spareAppends = appended
            if bytes.capacity <= Self.largestSpareBuffer {
                bytes.removeAll(keepingCapacity: true)
                state.spareBuffer = bytes
            }
        }
        bytes = []  // the spare's only reference is the state's: the next flush appends in place
        appended = []
        for waiter in waiters {
            if let failure { waiter.continuation.resume(throwing: failure) } else { waiter.continuation.resume() }
        }
        if failure == nil { rollAndCompact() }
        return failure
    }

    /// The largest written buffer kept for the next group (a larger one, from a burst, is freed).
    static var largestSpareBuffer: Int { 8 << 20 }

    /// How large to make the segment file when a write needs `needed` bytes: a whole number of
    /// reservation steps, but not past the segment's size limit unless the write itself is.
    func reservation(for needed: Int) -> Int {
        let step = LogFormat.reservationStep
        let rounded = (needed + step - 1) / step * step
        return max(needed, min(rounded, options.segmentSize))
    }

    /// Starts a new segment when the current one is full, and deletes the oldest segments once
    /// every event in them is acknowledged.
    func rollAndCompact() {
        state.withLock { state in
            if state.segmentBytes >= options.segmentSize {
                do throws(StoreFailure) {
                    try openSegment(&state, index: state.segment + 1)
                } catch .diskFull {
                    // No room for a new segment: this one grows past its size until there is.
                } catch {
                    state.poisoned = error
                    return
                }
            }
            var deleted = false
            while let oldest = state.live.keys.min(), oldest < state.segment, state.live[oldest] == 0 {
                state.live[oldest] = nil
                try? fileSystem.remove(path + "/" + LogFormat.segmentName(oldest))
                deleted = true
            }
            // Segments that never held an unsettled event have no entry in `live`.
            let floor = state.live.keys.min() ?? state.segment
            if state.scannedFloor != floor, let names = try? fileSystem.list(path) {
                state.scannedFloor = floor
                for name in names {
                    guard let index = LogFormat.segmentIndex(name), index < floor else { continue }
                    try? fileSystem.remove(path + "/" + name)
                    deleted = true
                }
            }
            if deleted { try? fileSystem.syncDirectory(path) }
        }
    }
}

/// What records about to be buffered need: their bytes, and how many events they append or settle.
struct Space {
    let bytes: Int
    let appending: Int
    let settling: Int
}

/// When the I/O queue should write what is buffered.
enum FlushSchedule {
    case now
    case later(Duration)
    /// Flush on the I/O queue once the callers the last fsync released are back, or after at
    /// most this long.
    case hold(Duration)
    /// Tell the waiting flush that the group is back.
    case signal
    case nothing
}
