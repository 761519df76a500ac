import CommandLineSupport
import EventBus
import EventBusTestSupport
import EventBusTesting
import EventLog
import EventQueue
import Foundation
import Testing

/// A fresh private directory under the system temporary directory; each test removes its own
/// (`defer`), so that test runs leave nothing behind.
func temporaryFolder() throws -> String {
    try ScratchDirectory.create(prefix: "eventbus-bus").path
}

struct Blob: DataEvent {
    let data: Data
    init(data: Data) { self.data = data }
}

struct Line: TextEvent {
    let text: String
    init(text: String) { self.text = text }
}

struct ParcelShipped: Event, Codable, Equatable {
    let parcelNumber: Int
    let shippedAt: Date
}

struct NotCodable: Event {
    let value: Int
}

@Suite struct DurableMailboxTests {
    /// With the fsyncs on the publisher's thread (one at a time) and with all of them on the
    /// mailbox's I/O queue (`inlineSyncThreads: 0`).
    @Test(arguments: [1, 0])
    func acceptedButUnhandledEventsAreRedeliveredAfterACrash(inlineSyncThreads: Int) async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "billing", directory: directory, sync: .always)
        do {
            let bus = Bus(configuration: BusConfiguration(inlineSyncThreads: inlineSyncThreads))
            let billing = try await bus.subscribe(
                OrderPlaced.self,
                mailbox: mailbox,
                retry: .immediate(maxAttempts: 3)
            )
            for id in 1...5 { try await bus.publish(OrderPlaced(id: id, total: id * 100)) }
            var iterator = billing.makeAsyncIterator()
            _ = try await iterator.next()  // 1 is handed out...
            _ = try await iterator.next()  // ...and acknowledged when 2 is asked for; then the crash
            bus.simulateCrash()
        }
        let bus = Bus()
        let billing = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox, retry: .immediate(maxAttempts: 3))
        var received: [OrderPlaced] = []
        var attempts: [Int] = []
        for try await delivery in billing {
            received.append(delivery.event)
            attempts.append(delivery.metadata.attempt)
            if received.count == 4 { break }
        }
        #expect(received.map(\.id) == [2, 3, 4, 5])
        #expect(received.map(\.total) == [200, 300, 400, 500])
        // The crash cut off 2's first delivery: not an attempt, so it comes back as attempt 1.
        #expect(attempts == [1, 1, 1, 1])
        #expect(bus.recoveryReports()["billing"]?.interrupted == 1)
        await bus.shutdown()
    }

    @Test func metadataSurvivesTheDisk() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "meta", directory: directory, sync: .none)
        let report: PublishReport
        do {
            let bus = Bus()
            let kept = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
            report = try await bus.publish(
                OrderPlaced(id: 1),
                priority: .high,
                headers: ["tenant": "acme", "trace": "t-1"],
                correlationID: "c-9"
            )
            await bus.shutdown(draining: .zero)
            _ = kept
        }
        let bus = Bus()
        var iterator = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox).makeAsyncIterator()
        let delivery = try #require(try await iterator.next())
        #expect(delivery.metadata.id == report.eventID)
        #expect(delivery.metadata.priority == .high)
        #expect(delivery.metadata.headers == ["tenant": "acme", "trace": "t-1"])
        #expect(delivery.metadata.correlationID == "c-9")
        await bus.shutdown()
    }

    @Test func handledEventsAreNotRedeliveredAfterACleanShutdown() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "clean", directory: directory, sync: .batched)
        do {
            // A manual clock that never moves: the drain deadline cannot pass on a busy machine.
            let bus = Bus(configuration: BusConfiguration(clock: ManualClock()))
            let handled = Collector<Int>()
            try await bus.consume(OrderPlaced.self, mailbox: mailbox) { handled.append($0.id) }
            for id in 1...50 { try await bus.publish(OrderPlaced(id: id)) }
            let report = await bus.shutdown(draining: .seconds(30))
            #expect(report.drained)
            #expect(handled.count == 50)
        }
        let bus = Bus()
        let again = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect(again.metrics().depth == 0)
        await bus.shutdown()
    }

    @Test func aPoisonEventIsDeadLetteredAndStaysDeadAcrossARestart() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "poison", directory: directory, sync: .none)
        do {
            let bus = Bus()
            let consumer = try await bus.consume(OrderPlaced.self, mailbox: mailbox, retry: .immediate(maxAttempts: 2))
            {
                order in
                if order.id == 13 { throw Boom(code: 13) }
            }
            try await bus.publish(OrderPlaced(id: 13))
            try await bus.publish(OrderPlaced(id: 14))
            await bus.waitUntilIdle()
            #expect(try await consumer.deadLetters().map(\.element.event.id) == [13])
            await bus.shutdown()
        }
        let bus = Bus()
        let reopened = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect(reopened.deadLetters().map(\.element.event.id) == [13])
        #expect(reopened.deadLetters().first?.reason == "boom 13")
        #expect(reopened.metrics().depth == 0)
        #expect(try await reopened.requeueDeadLetters() == 1)
        var iterator = reopened.makeAsyncIterator()
        #expect(try await iterator.next()?.event.id == 13)
        await bus.shutdown()
    }

    @Test func anotherBusOpeningTheSameDurableMailboxIsRefused() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "exclusive", directory: directory)
        let bus = Bus()
        let first = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        // One process per mailbox: another bus (as another process would) gets the lock error.
        let other = Bus()
        await #expect {
            try await other.subscribe(OrderPlaced.self, mailbox: mailbox)
        } throws: { error in
            guard case BusError.mailboxUnavailable(let name, .locked) = error else { return false }
            return name == "exclusive"
        }
        first.cancel()
        await bus.shutdown()
        _ = try await other.subscribe(OrderPlaced.self, mailbox: mailbox)
        await other.shutdown()
    }

    @Test func badMailboxNamesAreRefused() async throws {
        let bus = Bus()
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        await #expect(throws: BusError.self) {
            try await bus.subscribe(
                OrderPlaced.self,
                mailbox: .durable(name: "../etc", directory: scratch)
            )
        }
    }

    @Test func anEventTypeWithoutACodecCannotBeDurable() async throws {
        let bus = Bus()
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        await #expect {
            try await bus.subscribe(NotCodable.self, mailbox: .durable(name: "x", directory: scratch))
        } throws: { error in
            guard case BusError.codec(.noCodec) = error else { return false }
            return true
        }
    }

    @Test func protocolSubscriptionsCannotBeDurable() async throws {
        let bus = Bus()
        let scratch = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        await #expect(throws: BusError.self) {
            try await bus.subscribe(
                matching: (any OrderEvent).self,
                mailbox: .durable(name: "x", directory: scratch)
            )
        }
    }

    @Test func binaryAndTextCodecsRoundTripThroughTheDisk() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = Data((0...255).map { UInt8($0) })
        do {
            let bus = Bus()
            let blobs = try await bus.subscribe(
                Blob.self,
                mailbox: .durable(name: "blobs", directory: directory, sync: .none),
                codec: DataEventCodec()
            )
            let lines = try await bus.subscribe(
                Line.self,
                mailbox: .durable(name: "lines", directory: directory, sync: .none),
                codec: TextEventCodec()
            )
            try await bus.publish(Blob(data: bytes))
            try await bus.publish(Line(text: "héllo, wörld"))
            await bus.shutdown(draining: .zero)
            _ = (blobs, lines)
        }
        let bus = Bus()
        var blobs = try await bus.subscribe(
            Blob.self,
            mailbox: .durable(name: "blobs", directory: directory),
            codec: DataEventCodec()
        ).makeAsyncIterator()
        var lines = try await bus.subscribe(
            Line.self,
            mailbox: .durable(name: "lines", directory: directory),
            codec: TextEventCodec()
        ).makeAsyncIterator()
        #expect(try await blobs.next()?.event.data == bytes)
        #expect(try await lines.next()?.event.text == "héllo, wörld")
        await bus.shutdown()
    }

    @Test func aRecordOfAnotherEventTypeIsDeadLetteredNotDecoded() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let bus = Bus()
            let lines = try await bus.subscribe(
                Line.self,
                mailbox: .durable(name: "shared", directory: directory, sync: .none),
                codec: TextEventCodec()
            )
            try await bus.publish(Line(text: "not an order"))
            await bus.shutdown(draining: .zero)
            _ = lines
        }
        let bus = Bus()
        let orders = try await bus.subscribe(
            OrderPlaced.self,
            mailbox: .durable(name: "shared", directory: directory)
        )
        // Never decoded, never delivered: a dead letter, counted as one (it was one in the
        // guides before it was in the metrics).
        #expect(orders.metrics().depth == 0)
        #expect(orders.metrics().deadLetters == 1)
        #expect(orders.metrics().deadLettered == 1)
        #expect(orders.deadLetters().isEmpty)
        let letter = try #require(try await bus.deadLetters(of: .durable(name: "shared", directory: directory)).first)
        #expect(
            letter.eventName == Line.eventName && letter.codecID == "text" && letter.body == Array("not an order".utf8)
        )
        #expect(
            letter.reason
                == .undecodable(
                    CodecError.unknownEventName(found: Line.eventName, expected: OrderPlaced.eventName).description
                )
        )
        await bus.shutdown()
    }

    @Test func aConfiguredJSONCodecStoresTheBodyItsWayAndReadsItBack() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        let codec = JSONEventCodec<ParcelShipped>(encoder: encoder, decoder: decoder)
        let parcel = ParcelShipped(parcelNumber: 7, shippedAt: Date(timeIntervalSince1970: 1_700_000_000))
        let body = String(decoding: try codec.encode(parcel), as: UTF8.self)
        #expect(body.contains("\"parcel_number\":7") && body.contains("2023-11-14T22:13:20Z"))
        do {
            let bus = Bus()
            let mailbox = try await bus.subscribe(
                ParcelShipped.self,
                mailbox: .durable(name: "parcels", directory: directory, sync: .none),
                codec: codec
            )
            try await bus.publish(parcel)
            await bus.shutdown(draining: .zero)
            _ = mailbox
        }
        let bus = Bus()
        var parcels = try await bus.subscribe(
            ParcelShipped.self,
            mailbox: .durable(name: "parcels", directory: directory),
            codec: codec
        ).makeAsyncIterator()
        #expect(try await parcels.next()?.event == parcel)
        await bus.shutdown()
    }

    @Test func encodingIntoABufferAppendsTheSameBytes() throws {
        let event = OrderPlaced(id: 5, total: 6)
        // Sorted keys: JSONEncoder's key order is otherwise not guaranteed to repeat.
        let sorted = JSONEncoder()
        sorted.outputFormatting = .sortedKeys
        let json = JSONEventCodec<OrderPlaced>(encoder: sorted, decoder: JSONDecoder())
        let codecs: [any EventCodec<OrderPlaced>] = [json, DefaultOnlyCodec()]
        for codec in codecs {
            var bytes: [UInt8] = [0xAB]
            try codec.encode(event, into: &bytes)
            #expect(bytes.first == 0xAB)
            #expect(Array(bytes.dropFirst()) == (try codec.encode(event)))
            #expect(try codec.decode(Array(bytes.dropFirst())) == event)
        }
    }

    @Test func codecsRoundTripAndRefuseBadInput() throws {
        let json = JSONEventCodec<OrderPlaced>()
        #expect(try json.decode(json.encode(OrderPlaced(id: 3, total: 4))) == OrderPlaced(id: 3, total: 4))
        #expect(throws: CodecError.self) { try json.decode(Array("{not json".utf8)) }
        #expect(throws: CodecError.self) { try TextEventCodec<Line>().decode([0xFF, 0xFE]) }
        #expect(try DataEventCodec<Blob>().decode([1, 2]).data == Data([1, 2]))
    }
}

/// A codec that implements only the required calls, to check the protocol's default `encode(_:into:)`.
struct DefaultOnlyCodec: EventCodec {
    func encode(_ event: OrderPlaced) throws -> [UInt8] { Array("\(event.id),\(event.total)".utf8) }
    func decode(_ bytes: [UInt8]) throws -> OrderPlaced {
        let parts = String(decoding: bytes, as: UTF8.self).split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2 else { throw CodecError.malformedEnvelope }
        return OrderPlaced(id: parts[0], total: parts[1])
    }
}
