import CommandLineSupport
import EventBus
import EventBusTestSupport
import EventLog
import EventQueue
import Foundation
import Testing

@testable import EventBusCLI

/// Another type that is stored in the same mailbox name as ``OrderPlaced`` (a mailbox whose
/// declaration changed type), so that the records there name a type it does not read.
struct InvoiceIssued: Event, Codable, Equatable {
    let invoice: Int
}

/// Dead letters by mailbox, whatever their type: `Bus.deadLetters(of:)`, the requeue, and the
/// CLI's `dump` and `requeue --ids` on local logs.
@Suite struct DeadLetterAPITests {
    /// Publishes `ids` as ``OrderPlaced`` into the local mailbox `name` and stops cleanly.
    func store(_ ids: [Int], in mailbox: Mailbox) async throws {
        let bus = Bus()
        _ = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        for id in ids { try await bus.publish(OrderPlaced(id: id)) }
        await bus.shutdown(draining: .zero)
    }

    @Test func recordsOfAnotherTypeAreDeadLettersThatAreListedCountedAndKept() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "ledger", directory: directory, sync: .none)
        try await store([1, 2], in: mailbox)

        // A build whose mailbox now carries another type: the two records never decode.
        do {
            let bus = Bus()
            let invoices = try await bus.subscribe(InvoiceIssued.self, mailbox: mailbox)
            #expect(invoices.recoveryReport?.undecodable.count == 2)
            #expect(invoices.metrics().deadLettered == 2)
            #expect(invoices.metrics().deadLetters == 2)
            #expect(invoices.recoveryReport?.deadLetters == 2)
            let letters = try await bus.deadLetters(of: mailbox)
            #expect(letters.count == 2)
            for letter in letters {
                #expect(letter.mailbox == "ledger")
                #expect(letter.eventName == OrderPlaced.eventName)
                #expect(letter.schemaVersion == 1 && letter.codecID == "json")
                #expect(letter.attempts == 0)
                guard case .undecodable(let text) = letter.reason else {
                    Issue.record("reason \(letter.reason)")
                    continue
                }
                #expect(text.contains("InvoiceIssued"))
            }
            let orders = try letters.map { try JSONDecoder().decode(OrderPlaced.self, from: Data($0.body)) }
            #expect(orders.map(\.id) == [1, 2])
            // The same by the name its metrics show; the first one only with a limit.
            #expect(try await bus.deadLetters(ofMailboxNamed: "ledger").map(\.id) == letters.map(\.id))
            #expect(try await bus.deadLetters(of: mailbox, limit: 1).map(\.id) == [letters[0].id])
            // Nothing this process cannot read goes back to its queue.
            #expect(try await bus.requeueDeadLetters(of: mailbox) == 0)
            #expect(try await bus.deadLetters(of: mailbox).count == 2)
            await bus.shutdown(draining: .zero)
        }

        // The build that reads them lists them (dead-lettered as undecodable) and requeues one.
        let bus = Bus()
        let orders = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect(orders.metrics().deadLettered == 0)
        #expect(orders.metrics().deadLetters == 2)
        let letters = try await bus.deadLetters(of: mailbox)
        #expect(letters.map(\.reason).allSatisfy { if case .undecodable = $0 { true } else { false } })
        let first = try #require(letters.first)
        #expect(try await bus.requeueDeadLetters(of: mailbox, ids: [first.id]) == 1)
        var iterator = orders.makeAsyncIterator()
        let delivery = try #require(try await iterator.next())
        #expect(delivery.metadata.id == first.id)
        #expect(delivery.event.id == 1)
        #expect(try await bus.deadLetters(of: mailbox).map(\.id) == [letters[1].id])
        await bus.shutdown(draining: .zero)
    }

    @Test func aMailboxThisBusHasNotDeclaredIsReadFromItsStoreAndRequeuedOnceItIsFree() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "billing", directory: directory, sync: .none)
        let before = Date()
        let owner = Bus()
        let consumer = try await owner.consume(OrderPlaced.self, mailbox: mailbox, retry: .immediate(maxAttempts: 2)) {
            order in
            if order.id == 7 { throw Boom(code: 7) }
        }
        try await owner.publish(OrderPlaced(id: 7))
        try await owner.publish(OrderPlaced(id: 8))
        await owner.waitUntilIdle()
        let dead = try #require(try await consumer.deadLetters().first)

        // Another bus (as another process would) reads the dead letters without the lock.
        let tool = Bus()
        let letters = try await tool.deadLetters(of: mailbox)
        #expect(letters.map(\.id) == [dead.id])
        let letter = try #require(letters.first)
        #expect(letter.reason == .handlerFailed("boom 7"))
        #expect(letter.attempts == 2)
        #expect(letter.deadLetteredAt >= before.addingTimeInterval(-1) && letter.deadLetteredAt <= Date())
        #expect(try JSONDecoder().decode(OrderPlaced.self, from: Data(letter.body)).id == 7)
        // The owner's view: the same letter, the body as its codec writes the event.
        let owned = try await owner.deadLetters(of: mailbox)
        #expect(owned.map(\.id) == [dead.id])
        #expect(owned.first?.reason == .handlerFailed("boom 7"))
        #expect(owned.first?.body == letter.body)

        // The requeue needs the mailbox: refused while the owner has it open, done after.
        await #expect {
            try await tool.requeueDeadLetters(of: mailbox)
        } throws: { error in
            guard case BusError.mailboxUnavailable("billing", .locked) = error else { return false }
            return true
        }
        await owner.shutdown(draining: .zero)
        #expect(try await tool.requeueDeadLetters(of: mailbox, ids: [EventID(high: 9, low: 9)]) == 0)
        #expect(try await tool.requeueDeadLetters(of: mailbox, ids: [dead.id]) == 1)
        #expect(try await tool.deadLetters(of: mailbox).isEmpty)

        let reopened = Bus()
        let orders = try await reopened.subscribe(OrderPlaced.self, mailbox: mailbox)
        var iterator = orders.makeAsyncIterator()
        let again = try #require(try await iterator.next())
        #expect(again.event.id == 7 && again.metadata.attempt == 1)
        await reopened.shutdown(draining: .zero)
    }

    @Test func aMailboxInMemoryIsFoundByItsName() async throws {
        let bus = Bus()
        let consumer = try await bus.consume(
            OrderPlaced.self,
            mailbox: .memory(name: "work"),
            retry: .immediate(maxAttempts: 2)
        ) { order in
            throw Boom(code: order.id)
        }
        try await bus.publish(OrderPlaced(id: 3, total: 30), headers: ["tenant": "t1"], correlationID: "c-3")
        await bus.waitUntilIdle()
        let letters = try await bus.deadLetters(of: .memory(name: "work"))
        let letter = try #require(letters.first)
        #expect(letters.count == 1)
        #expect(letter.reason == .handlerFailed("boom 3"))
        #expect(letter.attempts == 2)
        #expect(letter.eventName == OrderPlaced.eventName && letter.codecID == "json")
        #expect(letter.headers == ["tenant": "t1"] && letter.correlationID == "c-3")
        #expect(try JSONDecoder().decode(OrderPlaced.self, from: Data(letter.body)) == OrderPlaced(id: 3, total: 30))
        #expect(try await bus.deadLetters(ofMailboxNamed: "work").map(\.id) == [letter.id])
        #expect(consumer.metrics().deadLettered == 1)
        #expect(try await bus.requeueDeadLetters(ofMailboxNamed: "work", ids: [letter.id]) == 1)
        await bus.waitUntilIdle()
        #expect(consumer.metrics().deadLettered == 2)

        await #expect {
            try await bus.deadLetters(of: .memory(name: "nowhere"))
        } throws: { error in
            guard case BusError.noSuchMailbox("nowhere") = error else { return false }
            return true
        }
        await #expect(throws: BusError.self) { try await bus.deadLetters(of: .default) }
        await bus.shutdown(draining: .zero)
    }

    @Test func reasonsReadBackFromTheirStoredText() {
        let reasons: [DeadLetterReason] = [
            .handlerFailed("card declined (402)"),
            .handlerFailed(""),
            .undecodable("the body of X does not decode: keyNotFound"),
            .unknownVersion(stored: 3, known: 2),
            .undecryptable(keyID: "2026-12", "authentication failed"),
            .undecryptable(keyID: "k 1: odd", ""),
            .undecryptable(keyID: nil, "not encrypted"),
        ]
        for reason in reasons {
            #expect(DeadLetterReason(storedText: reason.storedText) == reason)
        }
        // What earlier builds stored.
        #expect(DeadLetterReason(storedText: "undecodable record: bad") == .undecodable("bad"))
        #expect(DeadLetterReason(storedText: "undecodable: bad") == .undecodable("bad"))
        #expect(
            DeadLetterReason(storedText: "unknown event type \"A\": group g consumes B")
                == .undecodable("unknown event type \"A\": group g consumes B")
        )
        #expect(
            DeadLetterReason(storedText: "[unknown version] stored x") == .handlerFailed("[unknown version] stored x")
        )
    }

    @Test func theToolDumpsDeadLettersAndRequeuesTheOnesNamed() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let mailbox = Mailbox.durable(name: "tool", directory: directory, sync: .none)
        try await store([1, 2, 3], in: mailbox)
        // Read by another type: all three become dead letters.
        do {
            let bus = Bus()
            _ = try await bus.subscribe(InvoiceIssued.self, mailbox: mailbox)
            await bus.shutdown(draining: .zero)
        }
        let ids = try await Bus().deadLetters(of: mailbox).map(\.id)
        #expect(ids.count == 3)

        var lines: [String] = []
        _ = try await EventBusTool.run("dump", [directory, "--mailbox", "tool"]) { lines.append($0) }
        let dump = lines.joined(separator: "\n")
        #expect(dump.contains("version") && dump.contains("codec"))
        #expect(dump.contains("dead: undecodable:"))
        #expect(dump.contains(OrderPlaced.eventName))
        #expect(dump.hasSuffix("0 pending, 3 dead"))

        // An id that is not a dead letter: refused, nothing requeued.
        let stranger = EventID(high: 1, low: 1)
        await #expect(throws: MailboxToolError.notDeadLetters(mailbox: "tool", ids: [stranger.description])) {
            _ = try await EventBusTool.run(
                "requeue",
                [directory, "--mailbox", "tool", "--ids", "\(ids[0]),\(stranger)"]
            ) {
                _ in
            }
        }
        await #expect(throws: ArgumentError.self) {
            _ = try await EventBusTool.run("requeue", [directory, "--mailbox", "tool", "--ids", "nope"]) { _ in }
        }
        #expect(try await Bus().deadLetters(of: mailbox).count == 3)

        lines = []
        _ = try await EventBusTool.run(
            "requeue-dead",
            [directory, "--mailbox", "tool", "--ids", "\(ids[0]), \(ids[2])"]
        ) {
            lines.append($0)
        }
        #expect(lines == ["requeued 2 dead letters in tool"])
        #expect(try await Bus().deadLetters(of: mailbox).map(\.id) == [ids[1]])
    }

    /// A segment of format 1 (as builds before format 2 wrote it, envelope of format 1) is read
    /// as it is: its event is version 1 JSON, its dead letter keeps its reason; the mailbox goes
    /// on in a new segment of the current format.
    @Test func aLogOfTheFirstFormatIsReadWithoutAMigration() async throws {
        let directory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let folder = directory + "/legacy"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder)
        /// An envelope of format 1: name, no correlation id or ordering key, time, no headers, body.
        func legacyEnvelope(_ order: OrderPlaced) throws -> [UInt8] {
            var bytes: [UInt8] = []
            let name = Array(OrderPlaced.eventName.utf8)
            bytes.appendLittleEndian(UInt16(name.count))
            bytes += name
            bytes.appendLittleEndian(UInt16.max)
            bytes.appendLittleEndian(UInt16.max)
            bytes.appendLittleEndian(Int64(1_700_000_000) * 1_000_000_000)
            bytes.appendLittleEndian(UInt16(0))
            bytes += try JSONEncoder().encode(order)
            return bytes
        }
        var segment = Array("EVBUSLOG".utf8)
        segment.appendLittleEndian(UInt32(1))
        segment.appendLittleEndian(UInt32(0))
        let live = EventID(high: 0xA, low: 1)
        let dead = EventID(high: 0xA, low: 2)
        for (sequence, id, order) in [(UInt64(1), live, OrderPlaced(id: 1)), (2, dead, OrderPlaced(id: 2))] {
            LogRecord.append(
                id: id,
                sequence: sequence,
                priority: .normal,
                attempts: 0,
                notBefore: nil,
                body: try legacyEnvelope(order)
            ).encode(into: &segment)
        }
        LogRecord.attempt(id: dead, attempt: 1).encode(into: &segment)
        LogRecord.dead(id: dead, reason: "card declined").encode(into: &segment)
        let file = folder + "/" + LogFormat.segmentName(1)
        #expect(FileManager.default.createFile(atPath: file, contents: Data(segment)))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)

        let bus = Bus()
        let mailbox = Mailbox.durable(name: "legacy", directory: directory, sync: .none)
        let orders = try await bus.subscribe(OrderPlaced.self, mailbox: mailbox)
        #expect(orders.recoveryReport?.undecodable == [])
        let letters = try await bus.deadLetters(of: mailbox)
        #expect(letters.map(\.id) == [dead])
        #expect(letters.first?.reason == .handlerFailed("card declined"))
        #expect(letters.first?.schemaVersion == 1 && letters.first?.codecID == "json")
        try await bus.publish(OrderPlaced(id: 3))
        var iterator = orders.makeAsyncIterator()
        #expect(try await iterator.next()?.event.id == 1)
        #expect(try await iterator.next()?.event.id == 3)
        await bus.shutdown(draining: .zero)
        // The old segment stays as it was; the new records went into segment 2, of format 2.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".log") }.sorted()
        #expect(names == [LogFormat.segmentName(1), LogFormat.segmentName(2)])
        let second = try Array(Data(contentsOf: URL(fileURLWithPath: folder + "/" + names[1])))
        #expect(second[8] == 2)
        let first = try Array(Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(Array(first.prefix(segment.count)) == segment)
    }
}
