import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Testing

@testable import EventBus

/// The stored envelope: name, metadata and body, however much metadata there is.
@Suite struct EnvelopeCodecTests {
    struct Note: Event, Codable, Equatable {
        var text: String
    }

    func roundTrip(_ metadata: EventMetadata) throws -> Envelope<Note> {
        let codec = EnvelopeCodec<Note>(codec: JSONEventCodec<Note>())
        let envelope = Envelope(event: Note(text: "hi"), metadata: metadata)
        var batch: [UInt8] = [0xAB]
        try codec.batchEncoder()(envelope, &batch)
        let single = try codec.encode(envelope)
        #expect(Array(batch.dropFirst()) == single)
        return try codec.decode(single)
    }

    @Test func anEnvelopeWithoutCorrelationOrderingOrHeadersKeepsItsTime() throws {
        let published = Date(timeIntervalSince1970: 1_763_800_000.123_456)
        let decoded = try roundTrip(EventMetadata(id: EventID(high: 1, low: 2), publishedAt: published))
        #expect(decoded.event == Note(text: "hi"))
        #expect(abs(decoded.metadata.publishedAt.timeIntervalSince(published)) < 1e-6)
        #expect(decoded.metadata.correlationID == nil && decoded.metadata.orderingKey == nil)
        #expect(decoded.metadata.headers.isEmpty)
    }

    @Test(arguments: [
        (String?("c-1"), String?.none, [String: String]()),
        (nil, "order-9", [:]),
        (nil, nil, ["tenant": "t1", "a": "b"]),
        ("c-2", "k", ["x": ""]),
    ])
    func everyOtherShapeKeepsWhatItHas(correlation: String?, ordering: String?, headers: [String: String]) throws {
        let published = Date(timeIntervalSince1970: 42.5)
        let decoded = try roundTrip(
            EventMetadata(
                id: EventID(high: 3, low: 4),
                publishedAt: published,
                headers: headers,
                correlationID: correlation,
                orderingKey: ordering
            )
        )
        #expect(decoded.event == Note(text: "hi"))
        #expect(decoded.metadata.publishedAt == published)
        #expect(decoded.metadata.correlationID == correlation)
        #expect(decoded.metadata.orderingKey == ordering)
        #expect(decoded.metadata.headers == headers)
    }
}
