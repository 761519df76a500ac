import EventLog

extension StoreFailure {
    /// The failure behind an error from a queue with storage: the cause of
    /// ``QueueError/storage(_:)``, a failure itself, or ``other(_:)``.
    public init(storageError error: any Error) {
        if case .storage(let failure)? = error as? QueueError {
            self = failure
        } else {
            self.init(error)
        }
    }
}
