/// Reads a mailbox directory without opening it for writing (no lock, no repair): what
/// `eventbus inspect`, `verify` and `dump` show.
package struct LogInspector {
    /// One event's state as the log records it.
    package struct EventState {
        package var id: EventID
        package var sequence: UInt64
        package var priority: Priority
        package var progress: DeliveryProgress
        package var body: [UInt8]
        package var segment: String
        /// Attempts that count, as recovery would restore them.
        package var attempts: UInt32 { progress.afterStop.attempts }
        /// Deliveries cut off by a crash, as recovery would count them.
        package var crashes: UInt32 { progress.afterStop.crashes }
        /// The dead letter's reason, if the event is dead.
        package var deadReason: String? { progress.deadReason }
        /// When it became a dead letter, if the log recorded it (format 2).
        package var deadAt: WallClockInstant? { progress.deadAt.map(WallClockInstant.init(nanosecondsSinceEpoch:)) }
        /// Handed to a handler and not settled when the log ends.
        package var isInFlight: Bool { progress.isInFlight }
    }

    /// What one mailbox holds.
    package struct Report {
        package var name: String
        package var segments: [(name: String, bytes: Int)] = []
        package var records = 0
        package var pending: [EventState] = []
        package var dead: [EventState] = []
        package var corruptRanges: [(segment: String, range: Range<Int>)] = []
        package var tornBytes: [(segment: String, bytes: Int)] = []
        package var badHeaders: [String] = []

        package var bytes: Int { segments.map(\.bytes).reduce(0, +) }
        /// Pending events that were handed to a handler at least once and never settled.
        package var inFlight: Int { pending.filter(\.isInFlight).count }
        package var isCorrupt: Bool { !corruptRanges.isEmpty || !badHeaders.isEmpty }
    }

    let fileSystem: any FileSystem
    let maxRecordSize: Int

    package init(
        fileSystem: any FileSystem = PosixFileSystem(),
        maxRecordSize: Int = DurableMailboxOptions().maxRecordSize
    ) {
        self.fileSystem = fileSystem
        self.maxRecordSize = maxRecordSize
    }

    /// The mailboxes under `directory`: its subdirectories that hold segment files.
    package func mailboxes(in directory: String) throws(StoreFailure) -> [String] {
        try fileSystem.list(directory).filter { name in
            guard let mode = try? fileSystem.directoryMode(directory + "/" + name), mode & 0o170000 == 0o040000
            else { return false }
            return ((try? fileSystem.list(directory + "/" + name)) ?? []).contains { LogFormat.segmentIndex($0) != nil }
        }
    }

    /// Scans one mailbox.
    package func inspect(_ path: String, name: String) throws(StoreFailure) -> Report {
        var report = Report(name: name)
        var states: [EventID: EventState] = [:]
        let segments = try fileSystem.list(path).filter { LogFormat.segmentIndex($0) != nil }
        for (position, segment) in segments.enumerated() {
            let bytes = try fileSystem.readAll(path + "/" + segment, limit: Int.max)
            report.segments.append((segment, bytes.count))
            let scan = LogFormat.scan(bytes, maxRecordSize: maxRecordSize)
            if scan.badHeader {
                if position == segments.count - 1 && scan.records.isEmpty {
                    // A torn segment creation: removed when the mailbox next opens.
                    report.tornBytes.append((segment, bytes.count))
                    continue
                }
                report.badHeaders.append(segment)
            }
            for range in scan.corrupt { report.corruptRanges.append((segment, range)) }
            if scan.tornBytes > 0 {
                if position == segments.count - 1 {
                    report.tornBytes.append((segment, scan.tornBytes))
                } else {
                    report.corruptRanges.append((segment, scan.validEnd..<scan.size))
                }
            }
            for (_, record) in scan.records {
                report.records += 1
                switch record {
                case .append(let id, let sequence, let priority, let attempts, let notBefore, let body):
                    states[id] = EventState(
                        id: id,
                        sequence: sequence,
                        priority: priority,
                        progress: DeliveryProgress(attempts: attempts, notBefore: notBefore),
                        body: body,
                        segment: segment
                    )
                case .ack(let id): states[id] = nil
                case .seen: break
                case .attempt(let id, _), .reschedule(let id, _), .dead(let id, _, _), .requeue(let id),
                    .release(let id):
                    states[id]?.progress.apply(record)
                }
            }
        }
        let ordered = states.values.sorted { $0.sequence < $1.sequence }
        report.pending = ordered.filter { $0.deadReason == nil }
        report.dead = ordered.filter { $0.deadReason != nil }
        return report
    }
}

/// Bytes as they are: lets tools open a mailbox without knowing its event type.
package struct RawRecordCodec: RecordCodec {
    package init() {}
    package func encode(_ element: [UInt8]) throws -> [UInt8] { element }
    package func decode(_ bytes: [UInt8]) throws -> [UInt8] { bytes }
}
