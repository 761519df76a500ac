import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Testing

@Suite struct EventMetadataTests {
    @Test func eachRarelySetFieldChangesAloneAndCopiesStayIndependent() {
        var metadata = EventMetadata(id: EventID(high: 1, low: 2), publishedAt: Date(timeIntervalSince1970: 5))
        #expect(metadata.headers.isEmpty && metadata.correlationID == nil && metadata.orderingKey == nil)
        metadata.headers["tenant"] = "t1"
        metadata.correlationID = "checkout-7"
        metadata.orderingKey = "order-9"
        let copy = metadata
        metadata.headers["tenant"] = "t2"
        metadata.attempt = 3
        #expect(metadata.headers == ["tenant": "t2"])
        #expect(metadata.correlationID == "checkout-7" && metadata.orderingKey == "order-9")
        #expect(copy.headers == ["tenant": "t1"] && copy.attempt == 1)
        metadata.correlationID = nil
        metadata.orderingKey = nil
        metadata.headers = [:]
        #expect(
            metadata
                == EventMetadata(id: EventID(high: 1, low: 2), publishedAt: Date(timeIntervalSince1970: 5), attempt: 3)
        )
    }

    func sample() -> EventMetadata {
        EventMetadata(
            id: EventID(high: 1, low: 2),
            publishedAt: Date(timeIntervalSince1970: 5),
            priority: .high,
            headers: ["a": "b"],
            correlationID: "c",
            attempt: 2,
            orderingKey: "k"
        )
    }

    @Test func equalityAndHashingSeeEveryField() {
        let base = sample()
        var variants: [EventMetadata] = []
        var changed = base
        changed.priority = .low
        variants.append(changed)
        changed = base
        changed.headers = ["a": "x"]
        variants.append(changed)
        changed = base
        changed.correlationID = "d"
        variants.append(changed)
        changed = base
        changed.attempt = 3
        variants.append(changed)
        changed = base
        changed.orderingKey = nil
        variants.append(changed)
        for variant in variants { #expect(variant != base) }
        let same = sample()
        #expect(same == base && same.hashValue == base.hashValue)
        #expect(Set(variants + [base, same]).count == variants.count + 1)
    }

    /// Every queued event carries its metadata: the rarely set fields are kept out of line.
    @Test func metadataTakesThirtyTwoBytes() {
        #expect(MemoryLayout<EventMetadata>.stride <= 32)
    }
}
