#if MetricsSupport
    import EventLog
    import EventQueue

    /// A queue that names its overflow policy (the `eventbus.overflow.policy` of its drops).
    protocol OverflowDescribing {
        var overflowPolicyName: String { get }
    }

    extension WorkQueue: OverflowDescribing {
        var overflowPolicyName: String { configuration.capacity.overflowPolicy.description }
    }
#endif
