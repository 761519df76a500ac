#if PostgresSupport
    /// A dead letter of a consumer group, as ``PostgresGroups/deadLetters(group:)`` lists it.
    public struct PostgresDeadLetter: Sendable, Hashable {
        /// The group.
        public var group: String
        /// The event's id (32 hex digits).
        public var eventID: String
        /// The name the event was published under.
        public var eventName: String
        /// Failed attempts.
        public var attempts: Int
        /// Why, for people: the handler's last error, "undecodable: unknown event type …",
        /// "unknown version: …", "undecryptable (key …): …", or crashes
        /// (`DeadLetterReason/description`; ``PostgresGroups/storedDeadLetters(group:limit:)``
        /// has the reason as a value).
        public var reason: String
    }
#endif
