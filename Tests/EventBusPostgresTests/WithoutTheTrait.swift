#if !PostgresSupport
    import Testing

    /// Built without the trait, this target has no tests of its own: this suite says so where the
    /// run lists what it skipped. (With the trait and no server, each suite is skipped with the
    /// reason instead.)
    @Suite(
        .disabled(
            "built without the trait PostgresSupport: run swift test --traits PostgresSupport against .ci/postgres start"
        )
    )
    struct PostgresSuites {
        @Test func needTheTraitPostgresSupport() {}
    }
#endif
