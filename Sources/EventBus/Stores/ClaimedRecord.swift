import EventLog

/// An event a ``GroupStore`` leased to a claimant.
package struct ClaimedRecord: Sendable {
    /// The event's id (32 hex digits).
    package var id: String
    /// The name it was published under (a consumer decodes only its own type).
    package var eventName: String
    /// The envelope's bytes.
    package var body: [UInt8]
    /// Failed attempts so far (not counting this delivery).
    package var attempts: Int
    /// Deliveries cut off before they settled (a crash, or a lease that ran out).
    package var crashes: Int
    /// The lane.
    package var priority: Priority

    /// Creates a claimed record.
    package init(id: String, eventName: String, body: [UInt8], attempts: Int, crashes: Int, priority: Priority) {
        self.id = id
        self.eventName = eventName
        self.body = body
        self.attempts = attempts
        self.crashes = crashes
        self.priority = priority
    }
}

extension ClaimedRecord {
    /// The claimed event decoded for a consumer of `E` in `group`, or — when no consumer of `E`
    /// can take it — why it goes to the dead letters, as the store keeps the reason: another
    /// type's event; one whose deliveries crashes cut off `maxCrashes` times; one that does not
    /// decode (another codec, a newer version past the store's bound, a missing key, a damaged
    /// body). Consumer loops and pumps decide the same way.
    func decoded<E: Event>(
        as type: E.Type,
        codec: EnvelopeCodec<E>,
        maxCrashes: Int,
        group: String
    ) -> Result<(id: EventID, envelope: Envelope<E>), DeadLettering> {
        if eventName != E.eventName {
            return .failure(
                DeadLettering(
                    reason: DeadLetterReason.undecodable(
                        "unknown event type \"\(eventName)\": \(group) carries \(E.eventName)"
                    ).storedText
                )
            )
        }
        if crashes >= maxCrashes {
            return .failure(
                DeadLettering(
                    reason: "its delivery was cut off \(crashes) times (maxCrashes \(maxCrashes)): "
                        + "the handler never finished"
                )
            )
        }
        let id = EventID(self.id) ?? EventID(high: 0, low: 0)
        do {
            return .success((id, try codec.decode(body, id: id)))
        } catch {
            return .failure(DeadLettering(reason: DeadLetterReason(decodingError: error).storedText))
        }
    }
}

/// Why a claimed event goes to the dead letters without a delivery (``ClaimedRecord/decoded(as:codec:maxCrashes:group:)``).
struct DeadLettering: Error {
    /// The reason as the store keeps it.
    let reason: String
}
