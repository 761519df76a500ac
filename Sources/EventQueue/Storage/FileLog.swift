import Dispatch
import Synchronization

/// A ``QueueStorage`` on local disk: an append-only, checksummed log of every state change of
/// one mailbox, in one directory.
///
/// See Documentation/DurableMailboxes.md for the format, the sync policies and the guarantees.
package final class FileLog<Element: Sendable>: QueueStorage, Sendable {
    /// `<directory>/<name>`.
    package let path: String
    /// The mailbox name.
    package let name: String
    /// The sync policy.
    package let sync: SyncPolicy
    /// The limits.
    package let options: DurableMailboxOptions
    let codec: any RecordCodec<Element>
    let fileSystem: any FileSystem
    let io: DispatchQueue
    /// Ends a flush's wait for the group the last fsync released (see `write`).
    let groupBack = DispatchSemaphore(value: 0)
    let state: Locked<LogWriterState>
    /// The last sequence number handed out: appends take theirs before they frame their records.
    let sequence = Atomic<UInt64>(0)
    /// Shared with other logs: how many callers may flush on their own thread at once.
    let inlineSyncs: InlineSyncLimit

    /// Opens (creating it if needed) the mailbox `name` under `directory` and takes its lock.
    ///
    /// - Parameter inlineSyncs: how many callers, across the logs sharing it, may write and fsync
    ///   on their own thread at once (see ``InlineSyncLimit``); one of its own by default.
    /// - Throws: ``StoreFailure``: an invalid name, a directory writable by group or others,
    ///   a mailbox locked by another process, or an I/O error.
    package convenience init(
        directory: String,
        name: String,
        sync: SyncPolicy,
        codec: any RecordCodec<Element>,
        options: DurableMailboxOptions = DurableMailboxOptions(),
        inlineSyncs: InlineSyncLimit = InlineSyncLimit()
    ) throws(StoreFailure) {
        try self.init(
            directory: directory,
            name: name,
            sync: sync,
            codec: codec,
            options: options,
            fileSystem: PosixFileSystem(),
            inlineSyncs: inlineSyncs
        )
    }

    package init(
        directory: String,
        name: String,
        sync: SyncPolicy,
        codec: any RecordCodec<Element>,
        options: DurableMailboxOptions,
        fileSystem: any FileSystem,
        inlineSyncs: InlineSyncLimit = InlineSyncLimit()
    ) throws(StoreFailure) {
        try StoreFailure.validate(name: name)
        let root = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        self.path = root + "/" + name
        self.name = name
        self.sync = sync
        self.options = options
        self.codec = codec
        self.fileSystem = fileSystem
        self.io = DispatchQueue(label: "eventbus.filelog.\(name)")
        self.state = Locked(LogWriterState())
        self.inlineSyncs = inlineSyncs
        try fileSystem.makeDirectory(root)
        try fileSystem.makeDirectory(path)
        // lstat: a symbolic link in the mailbox's place is not a directory either.
        guard let mode = try fileSystem.directoryMode(path), mode & 0o170000 == 0o040000 else {
            throw .notADirectory(path: path)
        }
        guard mode & 0o022 == 0 else { throw .insecureDirectory(path: path, mode: mode) }
        let lock = try fileSystem.lockExclusive(path + "/LOCK")
        state.withLock { $0.lockFD = lock }
    }

    deinit {
        let (fd, lock) = state.withLock { ($0.fd, $0.lockFD) }
        if fd >= 0 { fileSystem.close(fd) }
        if lock >= 0 { fileSystem.close(lock) }
    }

    /// What the last ``recover()`` found and repaired.
    package var recoveryReport: RecoveryReport? { state.withLock { $0.report } }

    /// Deletes the mailbox `name` under `directory`: its segments, its quarantined ranges, its
    /// lock file and its directory — nothing else (a file it does not know is left, and so is
    /// the directory then). A missing mailbox is not an error.
    /// - Throws: ``StoreFailure/locked(path:)`` when a process has it open; the I/O error.
    package static func removeMailbox(directory: String, name: String, fileSystem: any FileSystem) throws(StoreFailure)
    {
        try StoreFailure.validate(name: name)
        let root = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        let path = root + "/" + name
        guard let mode = try fileSystem.directoryMode(path) else { return }
        guard mode & 0o170000 == 0o040000 else { throw .notADirectory(path: path) }
        let lock = try fileSystem.lockExclusive(path + "/LOCK")
        defer { fileSystem.close(lock) }
        let quarantine = path + "/quarantine"
        if try fileSystem.directoryMode(quarantine) != nil {
            for file in try fileSystem.list(quarantine) where file.hasSuffix(".bin") {
                try fileSystem.remove(quarantine + "/" + file)
            }
            try fileSystem.removeDirectory(quarantine)
        }
        var unknown = false
        for file in try fileSystem.list(path) where file != "LOCK" && file != "quarantine" {
            if LogFormat.segmentIndex(file) != nil {
                try fileSystem.remove(path + "/" + file)
            } else {
                unknown = true
            }
        }
        try fileSystem.remove(path + "/LOCK")
        if !unknown { try fileSystem.removeDirectory(path) }
        try fileSystem.syncDirectory(root)
    }

    // MARK: Recovery

    /// Scans every segment, checks every checksum, cuts a torn tail, quarantines corrupt ranges,
    /// and returns the pending events and dead letters. Opens the last segment for appending.
    package func recover() throws -> RecoveredState<Element> {
        var report = RecoveryReport()
        let names = try fileSystem.list(path).filter { LogFormat.segmentIndex($0) != nil }
        report.segments = names.count
        var pending: [EventID: RecoveredRecord] = [:]
        var recent: [EventID] = []
        var maxSequence: UInt64 = 0
        var lastSegment: UInt64 = 0
        var lastSize = LogFormat.headerSize
        var lastReserved = LogFormat.headerSize
        var damagedLast = false
        for (position, name) in names.enumerated() {
            let index = LogFormat.segmentIndex(name)!
            let file = path + "/" + name
            let bytes = try fileSystem.readAll(file, limit: Int.max)
            var scan = LogFormat.scan(bytes, maxRecordSize: options.maxRecordSize)
            let isLast = position == names.count - 1
            if scan.badHeader {
                if scan.records.isEmpty && isLast {
                    // A segment whose creation was torn before its header was synced: nothing in
                    // it was ever acknowledged. Remove it; appends continue in a fresh segment.
                    if !bytes.isEmpty { try quarantine(bytes[...], from: name, offset: 0) }
                    try fileSystem.remove(file)
                    try fileSystem.syncDirectory(path)
                    report.truncatedBytes += bytes.count
                    continue
                }
                // A damaged header before valid records: keep the records, quarantine the header,
                // and never append to this segment again.
                report.quarantinedRanges += 1
                try quarantine(bytes.prefix(LogFormat.headerSize), from: name, offset: 0)
                if isLast { damagedLast = true }
            }
            for range in scan.corrupt {
                report.quarantinedRanges += 1
                try quarantine(bytes[range], from: name, offset: range.lowerBound)
            }
            if scan.tornBytes > 0 {
                if isLast {
                    report.truncatedBytes += scan.tornBytes
                    let fd = try fileSystem.openForWriting(file, create: false)
                    defer { fileSystem.close(fd) }
                    try fileSystem.truncate(fd, to: scan.validEnd, path: file)
                    try fileSystem.sync(fd, path: file)
                } else {
                    report.quarantinedRanges += 1
                    try quarantine(bytes[scan.validEnd...], from: name, offset: scan.validEnd)
                }
                scan.size = scan.validEnd
            }
            for (_, record) in scan.records {
                report.records += 1
                switch record {
                case .append(let id, let sequence, let priority, let attempts, let notBefore, let body):
                    pending[id] = RecoveredRecord(
                        sequence: sequence,
                        priority: priority,
                        progress: DeliveryProgress(attempts: attempts, notBefore: notBefore),
                        body: body,
                        segment: index
                    )
                    maxSequence = max(maxSequence, sequence)
                    recent.append(id)
                case .ack(let id): pending[id] = nil
                case .seen(let id): recent.append(id)
                case .attempt(let id, _), .reschedule(let id, _), .dead(let id, _), .requeue(let id), .release(let id):
                    pending[id]?.progress.apply(record)
                }
            }
            lastSegment = index
            // Zeros after the last record are space the writer reserved, not damage (the scan
            // does not count them as torn): the next write goes where the records end.
            lastSize = scan.validEnd
            lastReserved = scan.size
        }
        var events: [StoredEvent<Element>] = []
        var letters: [StoredDeadLetter<Element>] = []
        var undecodable: [(EventID, String)] = []
        for (id, entry) in pending.sorted(by: { $0.value.sequence < $1.value.sequence }) {
            let progress = entry.progress.afterStop
            let element: Element
            do {
                element = try codec.decode(entry.body)
            } catch {
                if progress.deadReason == nil { undecodable.append((id, "undecodable record: \(error)")) }
                report.undecodable.append(id)
                continue
            }
            let stored = StoredEvent(
                element: element,
                id: id,
                priority: entry.priority,
                attempts: Int(progress.attempts),
                notBefore: progress.notBefore.map(WallClockInstant.init(nanosecondsSinceEpoch:)),
                crashes: Int(progress.crashes)
            )
            if let reason = progress.deadReason {
                letters.append(StoredDeadLetter(event: stored, reason: reason))
            } else {
                events.append(stored)
            }
        }
        try state.withLock { state throws(StoreFailure) in
            sequence.store(maxSequence, ordering: .relaxed)
            if report.quarantinedRanges > 0 { report.quarantineDirectory = path + "/quarantine" }
            report.pending = events.count
            report.interrupted = events.count { $0.crashes > 0 }
            report.deadLetters = letters.count
            state.report = report
            for id in recent.suffix(10_000) { state.recent.append(id) }
            state.unsettled = pending.count
            for (id, entry) in pending {
                state.segmentOf.set(id, segment: entry.segment)
                state.live[entry.segment, default: 0] += 1
            }
            if names.isEmpty || lastSegment == 0 {
                try openSegment(&state, index: max(1, (names.compactMap(LogFormat.segmentIndex).max() ?? 0) + 1))
            } else if damagedLast {
                try openSegment(&state, index: lastSegment + 1)
            } else {
                let file = path + "/" + LogFormat.segmentName(lastSegment)
                state.fd = try fileSystem.openForWriting(file, create: false)
                state.segment = lastSegment
                state.segmentPath = file
                state.segmentBytes = lastSize
                state.segmentReserved = max(lastSize, lastReserved)
                // Room for what the log owes its unsettled events; on a full disk it is made when
                // space is free (appends are refused until then).
                try? makeRoom(&state, bytes: 0, appending: 0, settling: 0)
            }
        }
        // Undecodable bodies can never be delivered: record them as dead letters at once.
        if !undecodable.isEmpty {
            try state.withLock { state throws(StoreFailure) in
                var bytes: [UInt8] = []
                for (id, reason) in undecodable { LogRecord.dead(id: id, reason: reason).encode(into: &bytes) }
                try fileSystem.write(state.fd, bytes, at: state.segmentBytes, path: state.segmentPath)
                try fileSystem.sync(state.fd, path: state.segmentPath)
                state.segmentBytes += bytes.count
                state.segmentReserved = max(state.segmentReserved, state.segmentBytes)
            }
        }
        return RecoveredState(pending: events, deadLetters: letters, recentIDs: recent.suffix(10_000))
    }

    private func quarantine(_ bytes: ArraySlice<UInt8>, from segment: String, offset: Int) throws(StoreFailure) {
        let folder = path + "/quarantine"
        try fileSystem.makeDirectory(folder)
        try fileSystem.writeFile(folder + "/\(segment)-\(offset).bin", Array(bytes))
        try fileSystem.syncDirectory(folder)
    }

    /// Creates segment `index` with its header, allocates room for what is buffered and what the
    /// log owes its unsettled events, fsyncs it and its directory, and makes it current. On a
    /// failure the new file is removed again and the current segment stays.
    private func openSegment(_ state: inout LogWriterState, index: UInt64) throws(StoreFailure) {
        let file = path + "/" + LogFormat.segmentName(index)
        let fd = try fileSystem.openForWriting(file, create: true)
        do {
            var bytes = LogFormat.header
            // Keep the most recent ids for dedup: older segments may be deleted. At most a quarter
            // of a segment goes to them, so that a new segment is never full from the start.
            let keep = min(state.recent.count, options.segmentSize / 4 / 25)
            for offset in (state.recent.count - keep)..<state.recent.count {
                LogRecord.seen(id: state.recent[offset]).encode(into: &bytes)
            }
            let owed = state.unsettled * (LogFormat.ackRecordSize + LogFormat.attemptRecordSize)
            let allocated = reservation(for: bytes.count + state.writing + state.buffer.count + owed)
            try fileSystem.allocate(fd, to: allocated, path: file)
            try fileSystem.write(fd, bytes, at: 0, path: file)
            try fileSystem.sync(fd, path: file)
            try fileSystem.syncDirectory(path)
            if state.fd >= 0 {
                // The full segment gives back what it reserved (zeros left by a crash before
                // this reaches the disk are read as unused space).
                try? fileSystem.truncate(state.fd, to: state.segmentBytes, path: state.segmentPath)
                fileSystem.close(state.fd)
            }
            state.fd = fd
            state.segment = index
            state.segmentPath = file
            state.segmentBytes = bytes.count
            state.segmentReserved = allocated
        } catch {
            fileSystem.close(fd)
            try? fileSystem.remove(file)
            throw error
        }
    }

    /// Makes sure the current segment has room allocated for `bytes` more bytes of records
    /// (`appending` new events, `settling` acknowledgements) and for what the log then owes its
    /// unsettled events (see ``LogWriterState/allocationNeeded(adding:appending:settling:)``).
    /// Under the lock; allocates at most once per reservation step.
    /// - Throws: ``StoreFailure/diskFull(path:)`` when the disk has no room for them.
    private func makeRoom(
        _ state: inout LogWriterState,
        bytes: Int,
        appending: Int,
        settling: Int
    ) throws(StoreFailure) {
        let needed = state.allocationNeeded(adding: bytes, appending: appending, settling: settling)
        guard needed > state.segmentReserved, state.fd >= 0 else { return }
        let step = reservation(for: needed)
        do {
            try fileSystem.allocate(state.fd, to: step, path: state.segmentPath)
            state.segmentReserved = step
        } catch .diskFull(let path) {
            // The step does not fit: perhaps exactly what is needed does.
            guard step > needed else { throw .diskFull(path: path) }
            try fileSystem.allocate(state.fd, to: needed, path: state.segmentPath)
            state.segmentReserved = needed
        }
    }

    // MARK: Writing

    /// Stores a newly accepted event; returns once it is on disk under the sync policy.
    package func append(_ event: StoredEvent<Element>) async throws {
        try await append(contentsOf: [event])
    }

    /// Stores newly accepted events with one write (and, under the sync policy, one fsync shared
    /// with whoever else is waiting); returns once all of them are on disk. Nothing is written
    /// when one of them cannot be encoded or is too large.
    package func append(contentsOf events: [StoredEvent<Element>]) async throws {
        guard !events.isEmpty else { return }
        var batch = FramedBatch(count: events.count, firstSequence: takeSequences(events.count))
        let encode = codec.batchEncoder()
        for event in events {
            try batch.add(
                id: event.id,
                priority: event.priority,
                attempts: event.attempts,
                notBefore: event.notBefore,
                limit: options.maxRecordSize
            ) { bytes in
                do { try encode(event.element, &bytes) } catch { throw StoreFailure.unencodable(error) }
            }
        }
        try await store(batch)
    }

    /// ``append(contentsOf:)`` for a queue's boxed items (``WorkQueue`` stores its batches
    /// through this): each element is encoded from its box, without a typed copy of the batch.
    /// - Precondition: every item's element is an `ElementBox<Element>`.
    package func append(_ events: StoredBatch<Element>) async throws {
        guard !events.isEmpty else { return }
        var batch = FramedBatch(count: events.count, firstSequence: takeSequences(events.count))
        let encode = codec.batchEncoder()
        let limit = options.maxRecordSize
        let notBefore = events.notBefore
        for position in events.indices {
            let id = events.id(at: position)
            try batch.add(
                id: id,
                priority: events.priority(at: position),
                attempts: 0,
                notBefore: notBefore,
                limit: limit
            ) {
                bytes in
                do { try encode(events.element(at: position), &bytes) } catch { throw StoreFailure.unencodable(error) }
            }
        }
        try await store(batch)
    }

    /// The first of `count` sequence numbers, taken before their records are framed. Recovery
    /// sorts by them: records of concurrent batches may reach the file in either batch's order,
    /// and each batch's own keep theirs.
    private func takeSequences(_ count: Int) -> UInt64 {
        sequence.add(UInt64(count), ordering: .relaxed).oldValue &+ 1
    }

    /// Writes a framed batch: under the lock, one copy of its bytes and its ids (indexed once
    /// the flush that writes them succeeds).
    private func store(_ batch: FramedBatch) async throws {
        let count = batch.ids.count
        try await write(durable: true, records: count, bytes: batch.frames.count, appending: count) { state in
            state.bufferedAppends.append(contentsOf: batch.ids)
            state.buffer.append(contentsOf: batch.frames)
        }
    }

    /// Records delivery attempts (written before the deliveries are handed out).
    package func recordAttempts(_ attempts: [(id: EventID, attempt: Int)]) async throws {
        try await write(durable: false, bytes: attempts.count * LogFormat.attemptRecordSize) { state in
            for (id, attempt) in attempts {
                LogRecord.attempt(id: id, attempt: UInt32(clamping: attempt)).encode(into: &state.buffer)
            }
        }
    }

    /// Records that the event was handled.
    package func acknowledge(_ id: EventID) async throws {
        try await write(durable: false, bytes: LogFormat.ackRecordSize, settling: 1) { state in
            if let segment = state.segmentOf.remove(id) {
                state.live[segment, default: 1] -= 1
            }
            LogRecord.ack(id: id).encode(into: &state.buffer)
        }
    }

    /// Records the next attempt's time.
    package func reschedule(_ id: EventID, notBefore: WallClockInstant?) async throws {
        try await write(durable: false, bytes: LogFormat.ackRecordSize + 8) { state in
            LogRecord.reschedule(id: id, notBefore: notBefore?.nanosecondsSinceEpoch).encode(into: &state.buffer)
        }
    }

    /// Records a dead letter.
    package func deadLetter(_ id: EventID, reason: String) async throws {
        let size = LogFormat.ackRecordSize + LogRecord.storedReason(reason).utf8.count
        try await write(durable: false, bytes: size) { state in
            LogRecord.dead(id: id, reason: reason).encode(into: &state.buffer)
        }
    }

    /// Records that dead letters were put back.
    package func requeue(_ ids: [EventID]) async throws {
        try await write(durable: true, records: ids.count, bytes: ids.count * LogFormat.ackRecordSize) { state in
            for id in ids { LogRecord.requeue(id: id).encode(into: &state.buffer) }
        }
    }

    /// Records that the deliveries of these events were given back unfinished (a clean stop),
    /// then closes as ``close()``.
    package func close(releasing inFlight: [EventID]) {
        if !inFlight.isEmpty {
            state.withLock { state in
                guard state.refusal == nil else { return }
                // Within the room reserved for these events' acknowledgements.
                for id in inFlight { LogRecord.release(id: id).encode(into: &state.buffer) }
                state.needsSync = sync != .none
            }
        }
        close()
    }

    /// Writes everything buffered, fsyncs, and releases the file and the lock. Later writes fail
    /// with ``StoreFailure/closed``.
    package func close() {
        _ = io.sync { flush() }
        state.withLock { state in
            state.closed = true
            if state.fd >= 0 {
                try? fileSystem.truncate(state.fd, to: state.segmentBytes, path: state.segmentPath)
                try? fileSystem.sync(state.fd, path: state.segmentPath)
                fileSystem.close(state.fd)
                state.fd = -1
            }
            if state.lockFD >= 0 {
                fileSystem.close(state.lockFD)
                state.lockFD = -1
            }
        }
    }

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
    private func write(
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
    private var leadsWhenIdle: Bool {
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
    private func lead(
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
    private func take(_ space: Space, in state: inout LogWriterState) throws(StoreFailure) {
        try makeRoom(&state, bytes: space.bytes, appending: space.appending, settling: space.settling)
        state.unsettled += space.appending - space.settling
    }

    /// Flushes run on a caller's own thread so far (tests watch the ``InlineSyncLimit`` with it).
    package var inlineFlushes: Int { state.withLock { $0.inlineFlushes } }

    /// Runs on the I/O queue (or in `io.sync`): one write, at most one fsync, for everything
    /// buffered. Returns the failure of that write, or — when there was nothing to write, because
    /// an earlier flush (`close()`) took it — the log's poisoning, if any.
    @discardableResult
    private func flush() -> StoreFailure? {
        var (bytes, waiters, needsSync, fd, file, poisoned, appended) = state.withLock { state in
            if state.needsSync {
                state.released = state.groupCallers
                state.returned = 0
            }
            state.groupCallers = 0
            state.writing = state.buffer.count
            defer {
                state.bufferedAppends = []
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
            if bytes.capacity <= Self.largestSpareBuffer {
                bytes.removeAll(keepingCapacity: true)
                state.spareBuffer = bytes
            }
        }
        bytes = []  // the spare's only reference is the state's: the next flush appends in place
        for waiter in waiters {
            if let failure { waiter.continuation.resume(throwing: failure) } else { waiter.continuation.resume() }
        }
        if failure == nil { rollAndCompact() }
        return failure
    }

    /// The largest written buffer kept for the next group (a larger one, from a burst, is freed).
    private static var largestSpareBuffer: Int { 8 << 20 }

    /// How large to make the segment file when a write needs `needed` bytes: a whole number of
    /// reservation steps, but not past the segment's size limit unless the write itself is.
    private func reservation(for needed: Int) -> Int {
        let step = LogFormat.reservationStep
        let rounded = (needed + step - 1) / step * step
        return max(needed, min(rounded, options.segmentSize))
    }

    /// Starts a new segment when the current one is full, and deletes the oldest segments once
    /// every event in them is acknowledged.
    private func rollAndCompact() {
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

/// An event's state while a log is replayed.
private struct RecoveredRecord {
    var sequence: UInt64
    var priority: Priority
    var progress: DeliveryProgress
    var body: [UInt8]
    var segment: UInt64
}

/// What records about to be buffered need: their bytes, and how many events they append or settle.
private struct Space {
    let bytes: Int
    let appending: Int
    let settling: Int
}

/// When the I/O queue should write what is buffered.
private enum FlushSchedule {
    case now
    case later(Duration)
    /// Flush on the I/O queue once the callers the last fsync released are back, or after at
    /// most this long.
    case hold(Duration)
    /// Tell the waiting flush that the group is back.
    case signal
    case nothing
}
