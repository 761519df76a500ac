#if PostgresSupport && EncryptionSupport
    import EventBus
    import EventBusEncryption
    import EventLog
    import Foundation
    import PostgresFixtures
    import PostgresNIO
    import Testing

    @testable import EventBusPostgres

    /// A charge whose card nobody with access to the database should read.
    struct CardCharged: Event, Codable, Equatable {
        static let eventName = "shop.card-charged"
        let id: Int
        let card: String
    }

    /// Encrypted bodies in PostgreSQL rows: a round trip across a rotation, a missing key, and
    /// every kind of tampering someone with write access to the table could do.
    @Suite(.enabled(if: PostgresTestSupport.isConfigured, PostgresTestSupport.skipReason), .timeLimit(.minutes(2)))
    struct EncryptedRowTests {
        static let first = try! KeyRing(currentKeyID: "k1", keys: ["k1": KeyRing.generateKey()])
        static let rotated = try! first.rotated(to: "k2", key: KeyRing.generateKey())

        static func codec(_ ring: KeyRing) -> EncryptedEventCodec<JSONEventCodec<CardCharged>> {
            EncryptedEventCodec(for: CardCharged.self, keyRing: ring)
        }

        /// Charge 1 stored under k1, charge 2 under k2 (after the rotation), nobody consuming.
        static func store(_ mailbox: Mailbox) async throws {
            for (ring, charge) in [
                (first, CardCharged(id: 1, card: "4242-ONE")), (rotated, CardCharged(id: 2, card: "4242-TWO")),
            ] {
                let bus = Bus()
                try await bus.declareMailbox(mailbox, for: CardCharged.self, codec: codec(ring))
                try await bus.publish(charge, headers: ["tenant": "acme"])
                await bus.shutdown()
            }
        }

        /// The rows' ids and bodies, in publish order.
        static func rows(_ client: PostgresClient, _ schema: String) async throws -> [(id: String, body: [UInt8])] {
            var rows: [(id: String, body: [UInt8])] = []
            for try await (id, body) in try await client.query(
                "SELECT event_id, body FROM \(unescaped: schema).deliveries ORDER BY seq"
            ).decode((String, ByteBuffer).self) {
                rows.append((id, Array(body.readableBytesView)))
            }
            return rows
        }

        /// A consumer with `ring`: what it handled once `handled` charges are in, and the dead letters.
        static func consume(
            _ mailbox: Mailbox,
            ring: KeyRing,
            until handled: Int,
            dead: Int
        ) async throws -> (handled: [CardCharged], dead: [StoredDeadLetter]) {
            let seen = Locked<[CardCharged]>([])
            let bus = Bus()
            try await bus.consume(CardCharged.self, mailbox: mailbox, codec: codec(ring)) { charge in
                seen.withLock { $0.append(charge) }
            }
            try await PostgresTestSupport.eventually {
                let letters = try await bus.deadLetters(of: mailbox).count
                return seen.withLock { $0.count } == handled && letters == dead
            }
            let letters = try await bus.deadLetters(of: mailbox)
            await bus.shutdown()
            return (seen.withLock { $0 }, letters)
        }

        @Test func rowsAreEncryptedAndReadAcrossARotation() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: ConsumerGroupTests.options)
                let mailbox = Mailbox.durable(name: "charges", store: shared)
                try await Self.store(mailbox)
                let rows = try await Self.rows(client, schema)
                #expect(rows.count == 2)
                for row in rows {
                    let text = String(decoding: row.body, as: UTF8.self)
                    #expect(!text.contains("4242") && !text.contains("\"card\""))
                    #expect(text.contains("acme") && text.contains("aes-gcm(json)"))
                }
                let (handled, dead) = try await Self.consume(mailbox, ring: Self.rotated, until: 2, dead: 0)
                #expect(Set(handled.map(\.card)) == ["4242-ONE", "4242-TWO"])
                #expect(dead.isEmpty)
            }
        }

        @Test func aMissingKeyMakesADeadLetterThatIsRequeuedWhenTheKeyIsBack() async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: ConsumerGroupTests.options)
                let mailbox = Mailbox.durable(name: "charges", store: shared)
                try await Self.store(mailbox)
                let shredded = try Self.rotated.removingKey("k1")
                let (handled, dead) = try await Self.consume(mailbox, ring: shredded, until: 1, dead: 1)
                #expect(handled == [CardCharged(id: 2, card: "4242-TWO")])
                let letter = try #require(dead.first)
                guard case .undecryptable("k1", let reason) = letter.reason else {
                    Issue.record("reason \(letter.reason)")
                    return
                }
                #expect(reason.contains("no key \"k1\""))
                #expect(letter.attempts == 0 && letter.headers == ["tenant": "acme"])
                #expect(
                    try Self.rotated.open(letter.body, info: letter.info) == Array(#"{"id":1,"card":"4242-ONE"}"#.utf8)
                )
                // `eventbus dump`'s view without and with the key ring.
                let hidden = try await CommandLineToolTests.run("dump", ["--mailbox", "charges"], schema: schema)
                #expect(hidden.contains("encrypted, key k1") && !hidden.contains("4242"))
                #expect(hidden.contains("undecryptable (key \"k1\")"))
                let keys = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(schema).json")
                defer { try? FileManager.default.removeItem(at: keys) }
                try Data(Self.rotated.json()).write(to: keys)
                let shown = try await CommandLineToolTests.run(
                    "dump",
                    ["--mailbox", "charges", "--keys", keys.path],
                    schema: schema
                )
                #expect(shown.contains(#"{"id":1,"card":"4242-ONE"}"#))

                // The key is back: requeued from an instance with the full ring, and handled.
                let seen = Locked<[Int]>([])
                let bus = Bus()
                try await bus.consume(CardCharged.self, mailbox: mailbox, codec: Self.codec(Self.rotated)) { charge in
                    seen.withLock { $0.append(charge.id) }
                }
                #expect(try await bus.requeueDeadLetters(of: mailbox) == 1)
                try await PostgresTestSupport.eventually { seen.withLock { $0 } == [1] }
                await bus.shutdown()
            }
        }

        /// A flipped byte of the body or its tag, a key id changed to another key of the ring, a
        /// header changed, a body copied from another row: refused, dead-lettered, never decoded.
        @Test(arguments: ["body", "tag", "key id", "header", "moved"])
        func tamperedRowsAreRefusedAndDeadLettered(kind: String) async throws {
            try await PostgresTestSupport.withClient { (client, schema) async throws in
                let shared = DurableStore.postgres(client, schema: schema, options: ConsumerGroupTests.options)
                let mailbox = Mailbox.durable(name: "charges", store: shared)
                try await Self.store(mailbox)
                let rows = try await Self.rows(client, schema)
                var bytes = rows[0].body
                let body = try StoredEnvelope(parsing: bytes).bodyOffset
                switch kind {
                case "body": bytes[body + 2 + 2 + 16 + 12] ^= 0x01
                case "tag": bytes[bytes.count - 1] ^= 0x80
                case "key id": bytes[body + 3] = UInt8(ascii: "2")  // "k1" → "k2"
                case "header":
                    let value = try #require(bytes[..<body].lastIndex(of: UInt8(ascii: "e")))
                    bytes[value] = UInt8(ascii: "f")  // "acme" → "acmf"
                default: bytes = rows[1].body
                }
                try await client.query(
                    """
                    UPDATE \(unescaped: schema).deliveries SET body = \(ByteBuffer(bytes: bytes))
                    WHERE event_id = \(rows[0].id)
                    """
                )
                let (handled, dead) = try await Self.consume(mailbox, ring: Self.rotated, until: 1, dead: 1)
                #expect(handled == [CardCharged(id: 2, card: "4242-TWO")])
                let letter = try #require(dead.first)
                #expect(letter.id.description == rows[0].id)
                guard case .undecryptable(let keyID, let reason) = letter.reason else {
                    Issue.record("reason \(letter.reason)")
                    return
                }
                #expect(reason.contains("authentication failed"))
                #expect(keyID == (kind == "key id" || kind == "moved" ? "k2" : "k1"))
            }
        }
    }
#endif
