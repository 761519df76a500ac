import Dispatch
import Synchronization

extension FileLog {
    /// Scans every segment, checks every checksum, cuts a torn tail, quarantines corrupt ranges,
    /// and returns the pending events and dead letters. Opens the last segment for appending.
    package func recover() throws -> RecoveredState<Element> {
        var report = RecoveryReport()
        report.warnings = state.withLock { $0.report.warnings }
        let names = try fileSystem.list(path).filter { LogFormat.segmentIndex($0) != nil }
        report.segments = names.count
        var pending: [EventID: RecoveredRecord] = [:]
        var recent: [EventID] = []
        var maxSequence: UInt64 = 0
        var lastSegment: UInt64 = 0
        var lastSize = LogFormat.headerSize
        var lastReserved = LogFormat.headerSize
        var damagedLast = false
        var olderLast = false
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
            } else if isLast && scan.version < LogFormat.version {
                // Written by an earlier format: read as it is, never appended to (records of the
                // current format go into a segment whose header says so).
                olderLast = true
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
                case .attempt(let id, _), .reschedule(let id, _), .dead(let id, _, _), .requeue(let id),
                    .release(let id):
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
        var letters: [RecoveredDeadLetter<Element>] = []
        var undecodable: [(EventID, String)] = []
        var unreadable: [UnreadableRecord] = []
        let now = WallClockInstant.now()
        for (id, entry) in pending.sorted(by: { $0.value.sequence < $1.value.sequence }) {
            let progress = entry.progress.afterStop
            let element: Element
            do {
                element = try codec.decode(entry.body, id: id)
            } catch {
                let reason = progress.deadReason ?? codec.deadLetterReason(for: error)
                if progress.deadReason == nil { undecodable.append((id, reason)) }
                report.undecodable.append(id)
                unreadable.append(
                    UnreadableRecord(
                        id: id,
                        priority: entry.priority,
                        body: entry.body,
                        attempts: Int(progress.attempts),
                        crashes: Int(progress.crashes),
                        reason: reason,
                        deadAt: progress.deadReason == nil
                            ? now : progress.deadAt.map(WallClockInstant.init(nanosecondsSinceEpoch:)),
                        isNew: progress.deadReason == nil
                    )
                )
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
                letters.append(
                    RecoveredDeadLetter(
                        event: stored,
                        reason: reason,
                        deadAt: progress.deadAt.map(WallClockInstant.init(nanosecondsSinceEpoch:))
                    )
                )
            } else {
                events.append(stored)
            }
        }
        try state.withLock { state throws(StoreFailure) in
            sequence.store(maxSequence, ordering: .relaxed)
            if report.quarantinedRanges > 0 { report.quarantineDirectory = path + "/quarantine" }
            report.pending = events.count
            report.interrupted = events.count { $0.crashes > 0 }
            report.deadLetters = letters.count + unreadable.count
            state.report = report
            for id in recent.suffix(10_000) { state.recent.append(id) }
            state.unsettled = pending.count
            for (id, entry) in pending {
                state.segmentOf.set(id, segment: entry.segment)
                state.live[entry.segment, default: 0] += 1
            }
            if names.isEmpty || lastSegment == 0 {
                try openSegment(&state, index: max(1, (names.compactMap(LogFormat.segmentIndex).max() ?? 0) + 1))
            } else if damagedLast || olderLast {
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
                for (id, reason) in undecodable {
                    LogRecord.dead(id: id, reason: reason, at: now.nanosecondsSinceEpoch).encode(into: &bytes)
                }
                try fileSystem.write(state.fd, bytes, at: state.segmentBytes, path: state.segmentPath)
                try fileSystem.sync(state.fd, path: state.segmentPath)
                state.segmentBytes += bytes.count
                state.segmentReserved = max(state.segmentReserved, state.segmentBytes)
            }
        }
        return RecoveredState(
            pending: events,
            deadLetters: letters,
            recentIDs: recent.suffix(10_000),
            unreadable: unreadable
        )
    }

    func quarantine(_ bytes: ArraySlice<UInt8>, from segment: String, offset: Int) throws(StoreFailure) {
        let folder = path + "/quarantine"
        try fileSystem.makeDirectory(folder)
        try fileSystem.writeFile(folder + "/\(segment)-\(offset).bin", Array(bytes))
        try fileSystem.syncDirectory(folder)
    }

    /// Creates segment `index` with its header, allocates room for what is buffered and what the
    /// log owes its unsettled events, fsyncs it and its directory, and makes it current. On a
    /// failure the new file is removed again and the current segment stays.
    func openSegment(_ state: inout LogWriterState, index: UInt64) throws(StoreFailure) {
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
    func makeRoom(
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
}

/// An event's state while a log is replayed.
private struct RecoveredRecord {
    var sequence: UInt64
    var priority: Priority
    var progress: DeliveryProgress
    var body: [UInt8]
    var segment: UInt64
}
