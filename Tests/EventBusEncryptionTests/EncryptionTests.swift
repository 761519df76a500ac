#if EncryptionSupport
    import CommandLineSupport
    import Crypto
    import EventBus
    import EventBusEncryption
    import EventBusTestSupport
    import EventLog
    import Foundation
    import Testing

    @testable import EventBusCLI

    /// A payment with data nobody but the service should read.
    struct PaymentTaken: Event, Codable, Equatable {
        static let eventName = "shop.payment-taken"
        let id: Int
        let card: String
    }

    /// The same event as a later build stores it: version 2, `card` renamed `cardNumber`.
    struct PaymentTakenV2: Event, Codable, Equatable {
        static let eventName = "shop.payment-taken"
        static let schemaVersion = 2
        static let upcasters = [JSONUpcaster(from: 1) { payment in payment.rename("card", to: "cardNumber") }]
        let id: Int
        let cardNumber: String
    }

    /// Encrypted bodies on the file log: round trips across a rotation, a missing key
    /// (crypto-shredding), every kind of tampering, plaintext records, the key ring and its file,
    /// the nonces, and `eventbus dump --keys`.
    @Suite struct EncryptionTests {
        static let k1 = KeyRing.generateKey()
        static let k2 = KeyRing.generateKey()
        static let first = try! KeyRing(currentKeyID: "k1", keys: ["k1": k1])
        static let rotated = try! first.rotated(to: "k2", key: k2)

        func codec(_ ring: KeyRing, readsPlaintext: Bool = false) -> EncryptedEventCodec<JSONEventCodec<PaymentTaken>> {
            EncryptedEventCodec(for: PaymentTaken.self, keyRing: ring, readsPlaintext: readsPlaintext)
        }

        func folder() throws -> String { try ScratchDirectory.create(prefix: "eventbus-crypt").path }

        /// Publishes `payments` into the mailbox with `ring`, and stops.
        func publish(_ payments: [PaymentTaken], to mailbox: Mailbox, ring: KeyRing) async throws {
            let bus = Bus()
            _ = try await bus.subscribe(PaymentTaken.self, mailbox: mailbox, codec: codec(ring))
            for payment in payments {
                try await bus.publish(payment, headers: ["tenant": "acme"], correlationID: "c-\(payment.id)")
            }
            await bus.shutdown(draining: .zero)
        }

        /// What the mailbox delivers (`count` events) and its dead letters, opened with `ring`.
        func read(
            _ mailbox: Mailbox,
            ring: KeyRing,
            count: Int,
            readsPlaintext: Bool = false
        ) async throws -> (delivered: [PaymentTaken], dead: [StoredDeadLetter]) {
            let bus = Bus()
            let payments = try await bus.subscribe(
                PaymentTaken.self,
                mailbox: mailbox,
                codec: codec(ring, readsPlaintext: readsPlaintext)
            )
            var delivered: [PaymentTaken] = []
            var iterator = payments.makeAsyncIterator()
            for _ in 0..<count { delivered.append(try #require(try await iterator.next()).event) }
            let dead = try await bus.deadLetters(of: mailbox)
            await bus.shutdown(draining: .zero)
            return (delivered, dead)
        }

        /// Every byte of the mailbox's segments.
        func files(_ directory: String, _ name: String) throws -> [UInt8] {
            let folder = directory + "/" + name
            return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".log") }.sorted()
                .flatMap { try Array(Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0))) }
        }

        /// Rewrites the append records of the mailbox's segments through `change` (id, body → new
        /// body), with valid checksums: what someone who can write the files can do.
        func tamper(
            _ directory: String,
            _ name: String,
            _ change: ([EventID: [UInt8]], EventID, [UInt8]) -> [UInt8]
        ) throws {
            let folder = directory + "/" + name
            var bodies: [EventID: [UInt8]] = [:]
            var segments: [(String, SegmentScan)] = []
            for segment in try FileManager.default.contentsOfDirectory(atPath: folder).filter({ $0.hasSuffix(".log") })
            {
                let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: folder + "/" + segment)))
                let scan = LogFormat.scan(bytes, maxRecordSize: 1 << 20)
                for (_, record) in scan.records {
                    if case .append(let id, _, _, _, _, let body) = record { bodies[id] = body }
                }
                segments.append((segment, scan))
            }
            for (segment, scan) in segments {
                var bytes = LogFormat.header
                for (_, record) in scan.records {
                    if case .append(let id, let sequence, let priority, let attempts, let notBefore, let body) = record
                    {
                        LogRecord.append(
                            id: id,
                            sequence: sequence,
                            priority: priority,
                            attempts: attempts,
                            notBefore: notBefore,
                            body: change(bodies, id, body)
                        ).encode(into: &bytes)
                    } else {
                        record.encode(into: &bytes)
                    }
                }
                try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + segment))
            }
        }

        @Test func bodiesAreEncryptedAndReadAcrossARotation() async throws {
            let directory = try folder()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "payments", directory: directory, sync: .none)
            try await publish([PaymentTaken(id: 1, card: "4242-SECRET-ONE")], to: mailbox, ring: Self.first)
            // Rotation: k2 is current; k1 stays for reading.
            try await publish([PaymentTaken(id: 2, card: "4242-SECRET-TWO")], to: mailbox, ring: Self.rotated)

            let stored = String(decoding: try files(directory, "payments"), as: UTF8.self)
            #expect(!stored.contains("SECRET") && !stored.contains("card"))
            // What routes stays readable: the name, the headers, the correlation id.
            #expect(stored.contains(PaymentTaken.eventName) && stored.contains("acme") && stored.contains("c-2"))
            #expect(stored.contains("aes-gcm(json)"))

            // Each record names its key.
            let report = try LogInspector().inspect(directory + "/payments", name: "payments")
            let keys = try report.pending.map { event -> String in
                let envelope = try StoredEnvelope(parsing: event.body)
                return EncryptedBodies.describe(Array(event.body[envelope.bodyOffset...]))
            }
            #expect(keys.map { $0.contains("key k1") } == [true, false])
            #expect(keys.map { $0.contains("key k2") } == [false, true])
            let (delivered, dead) = try await read(mailbox, ring: Self.rotated, count: 2)
            #expect(
                delivered == [
                    PaymentTaken(id: 1, card: "4242-SECRET-ONE"), PaymentTaken(id: 2, card: "4242-SECRET-TWO"),
                ]
            )
            #expect(dead.isEmpty)
        }

        @Test func aMissingKeyMakesADeadLetterUntilItIsBack() async throws {
            let directory = try folder()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "payments", directory: directory, sync: .none)
            try await publish([PaymentTaken(id: 1, card: "one")], to: mailbox, ring: Self.first)
            try await publish([PaymentTaken(id: 2, card: "two")], to: mailbox, ring: Self.rotated)

            // k1 deleted (crypto-shredding): its record is kept and reported, never decoded.
            let shredded = try Self.rotated.removingKey("k1")
            #expect(shredded.keyIDs == ["k2"])
            do {
                let bus = Bus()
                let payments = try await bus.subscribe(PaymentTaken.self, mailbox: mailbox, codec: codec(shredded))
                #expect(payments.metrics().deadLetters == 1 && payments.metrics().deadLettered == 1)
                var iterator = payments.makeAsyncIterator()
                #expect(try await iterator.next()?.event == PaymentTaken(id: 2, card: "two"))
                let letter = try #require(try await bus.deadLetters(of: mailbox).first)
                guard case .undecryptable(let keyID, let reason) = letter.reason else {
                    Issue.record("reason \(letter.reason)")
                    return
                }
                #expect(keyID == "k1" && reason.contains("no key \"k1\""))
                #expect(letter.codecID == "aes-gcm(json)" && letter.headers == ["tenant": "acme"])
                // It opens with the key, and not without.
                #expect(try Self.first.open(letter.body, info: letter.info) == Array(#"{"id":1,"card":"one"}"#.utf8))
                #expect(throws: CodecError.self) { try shredded.open(letter.body, info: letter.info) }
                await bus.shutdown(draining: .zero)
            }
            // The key is back: the dead letter is read, requeued and delivered.
            let bus = Bus()
            let payments = try await bus.subscribe(PaymentTaken.self, mailbox: mailbox, codec: codec(Self.rotated))
            let letters = try await bus.deadLetters(of: mailbox)
            #expect(letters.count == 1)
            #expect(try await bus.requeueDeadLetters(of: mailbox, ids: Set(letters.map(\.id))) == 1)
            var iterator = payments.makeAsyncIterator()
            var seen: [Int] = []
            for _ in 0..<2 { seen.append(try #require(try await iterator.next()).event.id) }
            #expect(Set(seen) == [1, 2])
            await bus.shutdown(draining: .zero)
        }

        /// Each change someone who can write the files could make: a flipped byte of the body or
        /// the tag, a key id changed (to another key of the ring, or to none), a header changed, a
        /// body moved to another record. Each is refused and dead-lettered, never decoded.
        @Test(arguments: ["body", "tag", "key id", "unknown key id", "header", "moved"])
        func tamperingIsRefusedAndDeadLettered(kind: String) async throws {
            let directory = try folder()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "payments", directory: directory, sync: .none)
            try await publish([PaymentTaken(id: 1, card: "one")], to: mailbox, ring: Self.first)
            try await publish([PaymentTaken(id: 2, card: "two")], to: mailbox, ring: Self.rotated)
            let ids = try LogInspector().inspect(directory + "/payments", name: "payments").pending.map(\.id)
            let target = ids[0]
            try tamper(directory, "payments") { bodies, id, stored in
                guard id == target else { return stored }
                var bytes = stored
                let envelope = try! StoredEnvelope(parsing: bytes)
                let body = envelope.bodyOffset
                switch kind {
                case "body": bytes[body + 2 + 2 + 16 + 12] ^= 0x01  // the first ciphertext byte
                case "tag": bytes[bytes.count - 1] ^= 0x80
                case "key id": bytes[body + 3] = UInt8(ascii: "2")  // "k1" → "k2", a key of the ring
                case "unknown key id": bytes[body + 3] = UInt8(ascii: "9")
                case "header":
                    // "acme" → "acmf", in the envelope's headers (before the body).
                    let value = try! #require(bytes[..<body].lastIndex(of: UInt8(ascii: "e")))
                    #expect(Array(bytes[(value - 3)...value]) == Array("acme".utf8))
                    bytes[value] = UInt8(ascii: "f")
                default:
                    // Another record's whole envelope, under this record's id.
                    bytes = bodies[ids[1]] ?? []
                }
                return bytes
            }
            let (delivered, dead) = try await read(mailbox, ring: Self.rotated, count: 1)
            #expect(delivered == [PaymentTaken(id: 2, card: "two")])
            let letter = try #require(dead.first)
            #expect(dead.count == 1 && letter.id == target)
            guard case .undecryptable(let keyID, let reason) = letter.reason else {
                Issue.record("reason \(letter.reason)")
                return
            }
            if kind == "unknown key id" {
                #expect(keyID == "k9" && reason.contains("no key"))
            } else {
                #expect(reason.contains("authentication failed"))
                #expect(keyID == (kind == "key id" ? "k2" : kind == "moved" ? "k2" : "k1"))
            }
        }

        @Test func plaintextRecordsAreReadOnlyWhenAllowed() async throws {
            let directory = try folder()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "payments", directory: directory, sync: .none)
            do {
                let bus = Bus()
                _ = try await bus.subscribe(PaymentTaken.self, mailbox: mailbox)
                try await bus.publish(PaymentTaken(id: 1, card: "plain"))
                await bus.shutdown(draining: .zero)
            }
            do {
                let bus = Bus()
                let payments = try await bus.subscribe(PaymentTaken.self, mailbox: mailbox, codec: codec(Self.first))
                #expect(payments.metrics().deadLetters == 1)
                let letter = try #require(try await bus.deadLetters(of: mailbox).first)
                #expect(
                    letter.reason
                        == .undecryptable(
                            keyID: nil,
                            "the body is not encrypted (stored before encryption was turned on: readsPlaintext reads such records)"
                        )
                )
                await bus.shutdown(draining: .zero)
            }
            // Turning encryption on for a mailbox with a backlog: read it, then requeue it.
            let bus = Bus()
            let payments = try await bus.subscribe(
                PaymentTaken.self,
                mailbox: mailbox,
                codec: codec(Self.first, readsPlaintext: true)
            )
            #expect(try await bus.requeueDeadLetters(of: mailbox) == 1)
            var iterator = payments.makeAsyncIterator()
            #expect(try await iterator.next()?.event == PaymentTaken(id: 1, card: "plain"))
            await bus.shutdown(draining: .zero)
        }

        @Test func anOlderVersionIsDecryptedThenUpcast() async throws {
            let directory = try folder()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "payments", directory: directory, sync: .none)
            try await publish([PaymentTaken(id: 1, card: "old")], to: mailbox, ring: Self.first)
            let bus = Bus()
            let payments = try await bus.subscribe(
                PaymentTakenV2.self,
                mailbox: mailbox,
                codec: EncryptedEventCodec(for: PaymentTakenV2.self, keyRing: Self.rotated)
            )
            var iterator = payments.makeAsyncIterator()
            #expect(try await iterator.next()?.event == PaymentTakenV2(id: 1, cardNumber: "old"))
            await bus.shutdown(draining: .zero)
        }

        /// A batch derives one key from a fresh salt and numbers its nonces; two batches never
        /// share a salt.
        @Test func noNonceIsUsedTwiceUnderOneKey() async throws {
            let directory = try folder()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "payments", directory: directory, sync: .none)
            let bus = Bus()
            _ = try await bus.subscribe(PaymentTaken.self, mailbox: mailbox, codec: codec(Self.first))
            try await bus.publish(contentsOf: (0..<50).map { PaymentTaken(id: $0, card: "c") })
            try await bus.publish(contentsOf: (50..<100).map { PaymentTaken(id: $0, card: "c") })
            for id in 100..<110 { try await bus.publish(PaymentTaken(id: id, card: "c")) }
            await bus.shutdown(draining: .zero)
            var pairs: Set<[UInt8]> = []
            var salts: Set<[UInt8]> = []
            for event in try LogInspector().inspect(directory + "/payments", name: "payments").pending {
                let body = Array(event.body[try StoredEnvelope(parsing: event.body).bodyOffset...])
                let header = 2 + Int(body[1])
                salts.insert(Array(body[header..<(header + 16)]))
                pairs.insert(Array(body[header..<(header + 16 + 12)]))
            }
            #expect(pairs.count == 110)
            // Two batches and ten single publishes: twelve derived keys (a single publish is a batch of one).
            #expect(salts.count == 12)
        }

        @Test func theKeyRingAndItsFile() throws {
            let directory = try folder()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/keys.json"
            try Data(Self.rotated.json()).write(to: URL(fileURLWithPath: path))
            let read = try KeyRing(contentsOfFile: path)
            #expect(read.currentKeyID == "k2" && read.keyIDs == ["k1", "k2"])
            #expect(read.key(id: "k1") == Self.k1 && read.key(id: "k2") == Self.k2)
            #expect(!String(decoding: Data(KeyRingError.malformed("x").description.utf8), as: UTF8.self).isEmpty)

            #expect(throws: KeyRingError.noCurrentKey("k3")) { try KeyRing(currentKeyID: "k3", keys: ["k1": Self.k1]) }
            #expect(throws: KeyRingError.invalidKeyID("a b")) {
                try KeyRing(currentKeyID: "a b", keys: ["a b": Self.k1])
            }
            #expect(throws: KeyRingError.invalidKeySize(keyID: "short", bytes: 16)) {
                try KeyRing(currentKeyID: "short", keys: ["short": SymmetricKey(size: .bits128)])
            }
            #expect(throws: KeyRingError.removingCurrentKey("k2")) { try Self.rotated.removingKey("k2") }
            #expect(throws: KeyRingError.duplicateKeyID("k1")) { try Self.rotated.rotated(to: "k1", key: Self.k2) }
            #expect(throws: KeyRingError.malformed("key \"k1\" is not Base64")) {
                try KeyRing(json: Array(#"{"current": "k1", "keys": {"k1": "%%%"}}"#.utf8))
            }
            #expect(throws: KeyRingError.self) { try KeyRing(json: Array("[]".utf8)) }
            #expect(throws: KeyRingError.self) { try KeyRing(contentsOfFile: directory + "/missing.json") }
            // An encrypting codec refuses to encode or decode without the record's information.
            #expect(throws: CodecError.self) { try codec(Self.first).encode(PaymentTaken(id: 1, card: "x")) }
        }

        @Test func theToolShowsEncryptedBodiesAsSuchUnlessGivenTheKeys() async throws {
            let directory = try folder()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let mailbox = Mailbox.durable(name: "payments", directory: directory, sync: .none)
            try await publish([PaymentTaken(id: 1, card: "4242")], to: mailbox, ring: Self.first)
            let keys = directory + "/keys.json"
            try Data(Self.first.json()).write(to: URL(fileURLWithPath: keys))

            var lines: [String] = []
            _ = try await EventBusTool.run("dump", [directory, "--mailbox", "payments"]) { lines.append($0) }
            var dump = lines.joined(separator: "\n")
            #expect(dump.contains("aes-gcm(json)") && dump.contains("encrypted, key k1"))
            #expect(!dump.contains("4242"))

            lines = []
            _ = try await EventBusTool.run("dump", [directory, "--mailbox", "payments", "--keys", keys]) {
                lines.append($0)
            }
            dump = lines.joined(separator: "\n")
            #expect(dump.contains(#"{"id":1,"card":"4242"}"#))

            // Another ring: the body does not open, and says so.
            let other = directory + "/other.json"
            try Data(try KeyRing(currentKeyID: "k1", keys: ["k1": KeyRing.generateKey()]).json())
                .write(to: URL(fileURLWithPath: other))
            lines = []
            _ = try await EventBusTool.run("dump", [directory, "--mailbox", "payments", "--keys", other]) {
                lines.append($0)
            }
            #expect(lines.joined().contains("undecryptable"))
            await #expect(throws: BodyOpenerError.self) {
                _ = try await EventBusTool.run(
                    "dump",
                    [directory, "--mailbox", "payments", "--keys", directory + "/none"]
                ) {
                    _ in
                }
            }
        }
    }
#endif
