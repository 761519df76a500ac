#if PostgresSupport
    import PostgresFixtures
    import Testing

    /// Built with the trait, the behaviour tests run a PostgreSQL variant only when a server is
    /// configured: without one, this test is skipped with the reason, so that the run says what it
    /// left out (CI fails a trait run that skipped anything).
    @Suite struct PostgresVariants {
        @Test(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason))
        func postgresVariantsRun() {
            #expect(StoreKind.all.contains(.postgres))
        }
    }
#endif
