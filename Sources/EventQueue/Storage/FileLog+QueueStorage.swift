import EventLog

/// The built-in durable store: the file log of the `EventLog` target, behind the queue's storage
/// seam (the log knows nothing of queues; the seam is declared here, above it).
extension FileLog: QueueStorage {}
