import Foundation
import Testing

/// Says why the PostgreSQL tests do not run, when they do not: so that a plain `swift test` on a
/// fresh machine passes and tells what it skipped.
@Suite struct SkipReasonTests {
    @Test func reasonIsPrinted() {
        #if PostgresSupport
            if ProcessInfo.processInfo.environment["EVENTBUS_POSTGRES_URL"] == nil {
                print(
                    "EventBusPostgresTests: EVENTBUS_POSTGRES_URL is not set, so the PostgreSQL tests are skipped "
                        + "(start a server with `.ci/postgres start`)"
                )
            }
            if ProcessInfo.processInfo.environment["EVENTBUS_PGBOUNCER_URL"] == nil {
                print(
                    "EventBusPostgresTests: EVENTBUS_PGBOUNCER_URL is not set, so the PgBouncer test is skipped "
                        + "(`.ci/postgres start` starts PgBouncer in transaction mode too)"
                )
            }
        #else
            print(
                "EventBusPostgresTests: built without the trait PostgresSupport, so the PostgreSQL tests are skipped "
                    + "(swift test --traits PostgresSupport)"
            )
        #endif
    }
}
