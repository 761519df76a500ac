// The test kit's clock lives in the test-support target (EventQueue's own tests use it without
// the bus); users of the kit name it from here.
@_exported import class EventBusTestSupport.ManualClock
