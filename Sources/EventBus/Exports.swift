@_exported import struct EventLog.DurableMailboxOptions
@_exported import struct EventLog.EventID
@_exported import enum EventLog.Priority
@_exported import struct EventLog.RecoveryReport
@_exported import enum EventLog.StoreFailure
@_exported import enum EventLog.SyncPolicy
// The vocabulary a user of the bus writes, re-exported by name from the queue core and the
// log: priorities, capacities and overflow policies, retry and dead-letter policies, the dedup window, metrics and
// the forecast, event ids, sync policies and durable limits, store failures and recovery reports,
// and the clock the test kit drives. Nothing else of `EventQueue` or `EventLog` is public.
@_exported import enum EventQueue.Capacity
@_exported import struct EventQueue.DeadLetter
@_exported import enum EventQueue.DeadLetterPolicy
@_exported import struct EventQueue.DedupWindow
@_exported import enum EventQueue.Forecast
@_exported import struct EventQueue.LatencySummary
@_exported import enum EventQueue.OverflowPolicy
@_exported import protocol EventQueue.QueueClock
@_exported import struct EventQueue.QueueMetrics
@_exported import struct EventQueue.RetryPolicy
@_exported import struct EventQueue.SystemQueueClock
