import EventLog

extension WorkQueue {
    /// Deletes the events waiting in the queue (ready and delayed) and its dead letters, for an
    /// operator; events in flight stay with their consumers and settle as usual. The room freed
    /// lets waiting producers in. With storage, the deletions are stored before it returns
    /// (should that fail, they are gone from the queue now and back at its next opening).
    /// - Returns: how many waiting events and dead letters were deleted.
    /// - Throws: ``QueueError/storage(_:)``.
    @discardableResult
    package func purge() async throws -> (pending: Int, deadLetters: Int) {
        var effects = QueueEffects()
        let (waiting, dead): ([EventID], [EventID]) = state.withLock { state in
            var ids: [EventID] = []
            for lane in 0..<3 { ids += state.lanes[lane].removeAll().map(\.id) }
            state.ready = 0
            ids += state.delayed.removeAll().map(\.id)
            let dead = state.deadLetters.removeAll().map(\.id)
            state.purged += UInt64(ids.count)
            state.grantProducers(&effects)
            state.checkDrained(&effects)
            return (ids, dead)
        }
        perform(effects)
        if let storage, !waiting.isEmpty || !dead.isEmpty {
            do {
                try await storage.purge(waiting + dead)
            } catch {
                throw QueueError.storage(StoreFailure(error))
            }
        }
        return (waiting.count, dead.count)
    }
}
