import Dispatch
import Synchronization

extension FileLog {
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
        for position in 0..<events.count {
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
    func takeSequences(_ count: Int) -> UInt64 {
        sequence.add(UInt64(count), ordering: .relaxed).oldValue &+ 1
    }

    /// Writes a framed batch: under the lock, one copy of its bytes and its ids (indexed once
    /// the flush that writes them succeeds).
    func store(_ batch: FramedBatch) async throws {
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

    /// Records a dead letter, with the time.
    package func deadLetter(_ id: EventID, reason: String) async throws {
        let size = LogFormat.ackRecordSize + 8 + LogRecord.storedReason(reason).utf8.count
        let now = WallClockInstant.now().nanosecondsSinceEpoch
        try await write(durable: false, bytes: size) { state in
            LogRecord.dead(id: id, reason: reason, at: now).encode(into: &state.buffer)
        }
    }

    /// Records that dead letters were put back.
    package func requeue(_ ids: [EventID]) async throws {
        try await write(durable: true, records: ids.count, bytes: ids.count * LogFormat.ackRecordSize) { state in
            for id in ids { LogRecord.requeue(id: id).encode(into: &state.buffer) }
        }
    }
}
