// EventBus re-exports the queue core: its priorities, policies, errors and metrics are part
// of the bus's API, and users should not need a second import for them.
@_exported import EventQueue
