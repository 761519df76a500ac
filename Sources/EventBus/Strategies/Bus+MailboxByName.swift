import EventLog

extension Bus {
    /// The durable mailbox or consumer group this process declared whose name is `name` — the
    /// name its metrics show (``QueueMetrics/name``) — as it was declared.
    package func declaredMailbox(named name: String) -> Mailbox? {
        registrations.state.withLock { state in
            state.mailboxes.values.first { $0.name == name && $0.mailbox != nil }?.mailbox
        }
    }

    /// Purges the durable mailbox or consumer group of this bus named `name` (the name its
    /// metrics show), as ``purgeMailbox(_:)`` does with the mailbox it was declared as.
    ///
    /// ```swift
    /// try await bus.purgeMailbox(named: "billing")
    /// ```
    ///
    /// - Throws: ``BusError/mailboxUnavailable(name:reason:)`` when this process declared no
    ///   durable mailbox of that name, and as ``purgeMailbox(_:)``.
    @discardableResult
    public func purgeMailbox(named name: String) async throws -> PurgeReport {
        guard let mailbox = declaredMailbox(named: name) else {
            throw BusError.mailboxUnavailable(name: name, reason: .other(NotDeclared(mailbox: name)))
        }
        return try await purgeMailbox(mailbox)
    }

    /// Removes the durable mailbox of this bus named `name` (the name its metrics show), as
    /// ``removeMailbox(_:)`` does with the mailbox it was declared as.
    ///
    /// ```swift
    /// try bus.removeMailbox(named: "billing")
    /// ```
    ///
    /// - Throws: ``BusError/mailboxUnavailable(name:reason:)`` when this process declared no
    ///   durable mailbox of that name, and as ``removeMailbox(_:)``.
    public func removeMailbox(named name: String) throws {
        guard let mailbox = declaredMailbox(named: name) else {
            throw BusError.mailboxUnavailable(name: name, reason: .other(NotDeclared(mailbox: name)))
        }
        try removeMailbox(mailbox)
    }
}

/// Why an operation by name found no mailbox: this process declared no durable mailbox or
/// consumer group of that name.
struct NotDeclared: Error, CustomStringConvertible {
    let mailbox: String

    var description: String {
        "this process declared no durable mailbox or consumer group named \(mailbox)"
    }
}
