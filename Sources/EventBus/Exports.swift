// The vocabulary a user of the bus writes, re-exported by name from the queue core: priorities,
// capacities and overflow policies, retry and dead-letter policies, the dedup window, metrics and
// the forecast, event ids, sync policies and durable limits, store failures and recovery reports,
// and the clock the test kit drives. Nothing else of `EventQueue` is public.
@_exported import enum EventQueue.Capacity
@_exported import struct EventQueue.DeadLetter
@_exported import enum EventQueue.DeadLetterPolicy
@_exported import struct EventQueue.DedupWindow
@_exported import struct EventQueue.DurableMailboxOptions
@_exported import struct EventQueue.EventID
@_exported import enum EventQueue.Forecast
@_exported import struct EventQueue.LatencySummary
@_exported import enum EventQueue.OverflowPolicy
@_exported import enum EventQueue.Priority
@_exported import protocol EventQueue.QueueClock
@_exported import struct EventQueue.QueueMetrics
@_exported import struct EventQueue.RecoveryReport
@_exported import struct EventQueue.RetryPolicy
@_exported import enum EventQueue.StoreFailure
@_exported import enum EventQueue.SyncPolicy
@_exported import struct EventQueue.SystemQueueClock
