import EventLog
import Synchronization

extension WorkQueue {
    /// Opens a queue on `storage`, restoring what it kept: pending events are delivered again
    /// (with their attempt counts), dead letters are kept, the dedup window is refilled. A
    /// delivery that a crash cut off is not an attempt: the event is delivered again with the
    /// same attempt number, unless crashes cut off ``RetryPolicy/maxCrashes`` of its deliveries,
    /// and then it goes to the dead letters with that reason.
    /// - Throws: ``QueueError/storage(_:)`` when the storage cannot be read or repaired.
    package static func open(
        name: String,
        configuration: QueueConfiguration = QueueConfiguration(),
        storage: any QueueStorage<Element>
    ) async throws -> WorkQueue<Element> {
        let queue = WorkQueue(name: name, configuration: configuration, storage: storage)
        let recovered: RecoveredState<Element>
        do {
            recovered = try await storage.recover()
        } catch {
            throw QueueError.storage(StoreFailure(error))
        }
        let now = Tick(queue.clock.now)
        let wallNow = WallClockInstant.now()
        /// The queue's tick of a stored wall-clock time (nil: now).
        func tick(_ instant: WallClockInstant?) -> Tick? {
            instant.map { now + .nanoseconds($0.nanosecondsSinceEpoch - wallNow.nanosecondsSinceEpoch) }
        }
        let maxCrashes = configuration.retry.maxCrashes
        var report = storage.recoveryReport ?? RecoveryReport()
        var buried: [(EventID, String)] = []
        var effects = QueueEffects()
        queue.state.withLock { state in
            for id in recovered.recentIDs { _ = state.dedup?.insert(id, now: now) }
            for letter in recovered.deadLetters {
                let entry = QueueEntry(
                    element: Self.box(letter.event.element),
                    id: letter.event.id,
                    priority: letter.event.priority,
                    attempts: letter.event.attempts,
                    enqueuedAt: now
                )
                state.bury(entry, reason: letter.reason, now: now, at: tick(letter.deadAt), effects: &effects)
                state.deadLettered -= 1
            }
            // Records no element could be made of are dead letters too: counted (those this
            // recovery dead-lettered as newly dead-lettered), listed as bytes, never delivered.
            state.unreadable = recovered.unreadable
            // (A recovered event counts as accepted, as the pending ones below do.)
            let newlyDead = UInt64(recovered.unreadable.count { $0.isNew })
            state.deadLettered += newlyDead
            state.enqueued += newlyDead
            for event in recovered.pending {
                let entry = QueueEntry(
                    element: Self.box(event.element),
                    id: event.id,
                    priority: event.priority,
                    attempts: event.attempts,
                    enqueuedAt: now
                )
                if state.tracked && event.crashes >= maxCrashes {
                    let reason =
                        "its delivery was cut off by a crash \(event.crashes) times (maxCrashes \(maxCrashes)): "
                        + "the handler never finished"
                    state.bury(entry, reason: reason, now: now, effects: &effects)
                    buried.append((event.id, reason))
                    continue
                }
                state.insert(entry, notBefore: queue.tick(from: event.notBefore), now: now, effects: &effects)
                state.enqueued += 1
            }
            report.pending = recovered.pending.count - buried.count
            report.interrupted = recovered.pending.count { $0.crashes > 0 && $0.crashes < maxCrashes }
            report.deadLetters = state.deadLetters.count + state.unreadable.count
            report.deadLetteredAfterCrashes = buried.map(\.0)
            state.recovery = report
        }
        queue.perform(effects)
        do {
            for (id, reason) in buried {
                try await storage.deadLetter(id, reason: reason)
            }
        } catch {
            queue.terminate(releasingInFlight: false)
            throw QueueError.storage(StoreFailure(error))
        }
        return queue
    }

    /// What the storage found and repaired when the queue opened on it (nil without storage).
    package var recoveryReport: RecoveryReport? { state.withLock { $0.recovery } }
}
