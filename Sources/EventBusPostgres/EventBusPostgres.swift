// EventBusPostgres: durable mailboxes as consumer groups on PostgreSQL, shared by every instance
// of a server. Turn on the package trait `PostgresSupport` to build it (postgres-nio is fetched
// only then); without the trait this module is empty.
//
//     .package(url: "…/EventBus", from: "…", traits: ["PostgresSupport"])
//     swift build --traits PostgresSupport
//
// See Documentation/ScaleOut.md.
