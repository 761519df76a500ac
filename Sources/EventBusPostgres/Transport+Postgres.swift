#if PostgresSupport
    import EventBus
    import PostgresNIO

    extension Transport {
        /// The bus across instances on PostgreSQL (trait `PostgresSupport`): broadcasts of declared
        /// types and requests to responders on other instances travel as NOTIFY on the schema's
        /// channels; responders are registered with a heartbeat in the table `responders`;
        /// payloads past NOTIFY's limit travel by reference through the table `messages`.
        ///
        /// ```swift
        /// let shared = Transport.postgres(client, schema: "shop")      // once per process
        /// let bus = Bus(configuration: BusConfiguration(durableStore: shared.store, transport: shared))
        /// try await bus.declareBroadcast(PriceChanged.self)
        /// ```
        ///
        /// Its ``Transport/store`` is the PostgreSQL store of the same schema (consumer groups and
        /// stored queues), sharing the one LISTEN connection of the process. The client must run
        /// (`client.run()`) and reach the server directly: behind a pooler in transaction mode
        /// LISTEN delivers nothing, and requests and broadcasts are refused
        /// (`BusError.transportUnavailable`). See Documentation/ScaleOut.md.
        public static func postgres(
            _ client: PostgresClient,
            schema: String = "eventbus",
            options: PostgresStoreOptions = PostgresStoreOptions()
        ) -> Transport {
            Transport(PostgresGroupStore(client: client, schema: schema, options: options))
        }
    }
#endif
