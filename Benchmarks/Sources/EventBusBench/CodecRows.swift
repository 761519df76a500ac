import EventBus
import EventBusEncryption
import Foundation

/// A stored event of a realistic size (about 110 bytes of JSON), at schema version 3.
struct CodecEvent: Event, Codable {
    static let eventName = "bench.order-placed"
    static let schemaVersion = 3
    static let upcasters = [
        JSONUpcaster(from: 1) { order in order.rename("buyer", to: "customer") },
        JSONUpcaster(from: 2) { order in order["sku"] = order["sku"] ?? "none" },
    ]
    let id: Int
    let customer: String
    let cents: Int
    let sku: String
    let note: String
}

/// The same event as version 1 stored it: `buyer`, no `sku`.
struct CodecEventV1: Event, Codable {
    static let eventName = "bench.order-placed"
    let id: Int
    let buyer: String
    let cents: Int
    let note: String
}

/// 64 bytes, for the `DataEventCodec` row.
struct CodecBlob: DataEvent {
    let data: Data
    init(data: Data) { self.data = data }
}

// The cost per event of each codec, encode and decode, through the codec API a durable mailbox
// uses (the batch encoder, then `decode(_:info:)`), without a store: what a codec adds to a
// durable publish and to a delivery.
extension Suite {
    var codecCases: [Case] {
        let n = 20_000 * scale
        let ring = try? KeyRing(currentKeyID: "bench", keys: ["bench": KeyRing.generateKey()])
        var cases: [Case] = [
            ("codec-json", 1, { try codecRow(JSONEventCodec<CodecEvent>(), n, version: 3, make: Self.order) }),
            ("codec-json-upcast-1-to-3", 1, { try upcastRow(n) }),
            ("codec-data-64-bytes", 1, { try codecRow(DataEventCodec<CodecBlob>(), n, version: 1, make: Self.blob) }),
        ]
        if let ring {
            cases += [
                (
                    "codec-aes-gcm-json", 1,
                    {
                        try codecRow(
                            EncryptedEventCodec(for: CodecEvent.self, keyRing: ring),
                            n,
                            version: 3,
                            make: Self.order
                        )
                    }
                ),
                (
                    "codec-aes-gcm-json-unbatched", 1,
                    {
                        try codecRow(
                            EncryptedEventCodec(for: CodecEvent.self, keyRing: ring),
                            n,
                            version: 3,
                            batch: 1,
                            make: Self.order
                        )
                    }
                ),
            ]
        }
        return cases
    }

    /// The order a codec row encodes and decodes.
    static func order(_ index: Int) -> CodecEvent {
        CodecEvent(
            id: index,
            customer: "customer-\(index % 1_000)",
            cents: 1_999 + index % 100,
            sku: "SKU-\(index % 5_000)",
            note: "leave at the door, ring twice"
        )
    }

    /// The blob a codec row encodes and decodes.
    static func blob(_ index: Int) -> CodecBlob {
        CodecBlob(data: Data(repeating: UInt8(truncatingIfNeeded: index), count: 64))
    }

    /// `n` events encoded in batches of `batch` (one `recordEncoder()` or `batchEncoder()` each,
    /// as a durable mailbox encodes a `publish(contentsOf:)`), then decoded one by one.
    func codecRow<C: EventCodec>(
        _ codec: C,
        _ n: Int,
        version: Int,
        batch: Int = 1_000,
        make: (Int) -> C.Value
    ) throws -> Bench.Row {
        let events = (0..<n).map(make)
        let infos = (0..<n).map { index in
            StoredEventInfo(
                id: EventID(high: 7, low: UInt64(index)),
                eventName: C.Value.eventName,
                schemaVersion: version,
                codecID: codec.codecID,
                headers: ["traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"]
            )
        }
        var bodies: [[UInt8]] = []
        bodies.reserveCapacity(n)
        let encodeStart = ContinuousClock.now
        for start in stride(from: 0, to: n, by: batch) {
            let encode = codec.recordEncoder()
            for index in start..<min(start + batch, n) {
                var bytes: [UInt8] = []
                try encode(events[index], infos[index], &bytes)
                bodies.append(bytes)
            }
        }
        let encoded = ContinuousClock.now - encodeStart
        let decodeStart = ContinuousClock.now
        for index in 0..<n { _ = try codec.decode(bodies[index], info: infos[index]) }
        let decoded = ContinuousClock.now - decodeStart
        let encodeNs = Self.nanoseconds(encoded) / Double(n)
        let decodeNs = Self.nanoseconds(decoded) / Double(n)
        let size = bodies.map(\.count).reduce(0, +) / max(1, n)
        return row(
            "",
            encodeNs + decodeNs,
            note: String(
                format: "encode %.0f + decode %.0f ns; %d-byte bodies; batches of %d",
                encodeNs,
                decodeNs,
                size,
                batch
            )
        )
    }

    /// Version-1 bodies decoded by the version-3 type: two upcasters on the JSON, then the decode.
    func upcastRow(_ n: Int) throws -> Bench.Row {
        let old = JSONEventCodec<CodecEventV1>()
        let bodies = try (0..<n).map { index in
            try old.encode(CodecEventV1(id: index, buyer: "customer-\(index)", cents: 1_999, note: "ring twice"))
        }
        let codec = JSONEventCodec<CodecEvent>()
        let start = ContinuousClock.now
        for (index, body) in bodies.enumerated() {
            let info = StoredEventInfo(
                id: EventID(high: 7, low: UInt64(index)),
                eventName: CodecEvent.eventName,
                schemaVersion: 1,
                codecID: "json"
            )
            _ = try codec.decode(body, info: info)
        }
        let ns = Self.nanoseconds(ContinuousClock.now - start) / Double(n)
        return row("", ns, note: "decode only: 2 upcasters, then JSONDecoder")
    }

    static func nanoseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
    }
}
