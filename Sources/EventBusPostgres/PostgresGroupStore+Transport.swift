#if PostgresSupport
    import EventBus
    import Foundation
    import PostgresNIO

    // The transport of the bus across instances, on the store's connection (Architecture.md,
    // "The bus across instances"): NOTIFY on the schema's broadcast channel and on each instance's
    // channel, responders with a heartbeat, large payloads by reference.
    extension PostgresGroupStore: TransportBackend {
        var store: (any MailboxStore)? { self }

        var failure: TransportFailure? { state.withLock { $0.transportFailure } }

        var heartbeat: (interval: Duration, expiry: Duration) {
            (options.responderHeartbeat, options.responderHeartbeat * 3)
        }

        /// Listens on the broadcast and instance channels too (the LISTEN connection is made
        /// again with them), and returns once they receive and the self-test passed.
        /// - Throws: ``TransportFailure`` when LISTEN is off, or delivers nothing (a pooler).
        func start(
            instance: String,
            inbox: @escaping @Sendable (TransportMessage) -> Void,
            health: @escaping @Sendable (TransportFailure?) -> Void
        ) async throws {
            guard options.listen else {
                throw TransportFailure("LISTEN is off (PostgresStoreOptions.listen): requests and broadcasts need it")
            }
            _ = try await prepare()
            let previous = state.withLock { state -> Task<Void, Never>? in
                state.transport = TransportReceiver(instance: instance, inbox: inbox, health: health)
                state.transportFailure = nil
                state.mode = .starting
                defer { state.listener = nil }
                return state.listener
            }
            previous?.cancel()
            startListening()
            // The self-test decides within a few seconds (twice the poll, at least 2 s).
            let limit = ContinuousClock.now + max(options.pollInterval * 2, .seconds(2)) + .seconds(10)
            while ContinuousClock.now < limit {
                switch wakeMode {
                case .listening: return
                case .polling: throw Self.listenUnsupported
                case .starting: try await Task.sleep(for: .milliseconds(10))
                }
            }
            throw TransportFailure(
                "LISTEN did not start within \(max(options.pollInterval * 2, .seconds(2)) + .seconds(10))"
            )
        }

        func stop(instance: String) async {
            state.withLock { state in
                if state.transport?.instance == instance { state.transport = nil }
            }
            guard let schema = try? self.schema() else { return }
            try? await execute(
                "unregister the responders of this instance",
                "DELETE FROM \(unescaped: schema.responders) WHERE instance_id = \(instance)"
            )
        }

        func broadcast(_ messages: [TransportMessage]) async throws {
            let schema = try await prepare()
            for message in messages {
                try await notify(message, channel: .literal(schema.broadcastChannel), schema: schema)
            }
        }

        func send(_ message: TransportMessage, to instance: String) async throws {
            let schema = try await prepare()
            try await notify(message, channel: .literal(Self.instanceChannel(instance)), schema: schema)
        }

        /// One statement picks a live responder at random and notifies it.
        func sendRequest(_ message: TransportMessage, requestName: String) async throws -> String? {
            let schema = try await prepare()
            return try await notify(message, channel: .responder(requestName), schema: schema)
        }

        func register(responders names: [String], instance: String) async throws {
            let schema = try await prepare()
            try await execute(
                "register responders",
                """
                INSERT INTO \(unescaped: schema.responders) (request_name, instance_id)
                SELECT unnest(\(names)::text[]), \(instance)
                ON CONFLICT (request_name, instance_id) DO UPDATE SET heartbeat_at = now()
                """
            )
            // Upkeep with the heartbeat: payloads nobody can still need, responders long dead.
            try await execute(
                "prune transport messages",
                "DELETE FROM \(unescaped: schema.messages) WHERE created_at < now() - interval '10 minutes'"
            )
            try await execute(
                "prune dead responders",
                "DELETE FROM \(unescaped: schema.responders) WHERE heartbeat_at < now() - interval '1 day'"
            )
        }

        func unregister(responder name: String, instance: String) async throws {
            let schema = try await prepare()
            try await execute(
                "unregister responder \(name)",
                """
                DELETE FROM \(unescaped: schema.responders)
                WHERE request_name = \(name) AND instance_id = \(instance)
                """
            )
        }

        func fetch(reference: Int64) async throws -> [UInt8] {
            let schema = try await prepare()
            let logger = self.logger
            let payload = try await run("read transport message \(reference)") { connection -> [UInt8]? in
                let rows = try await connection.query(
                    "SELECT payload FROM \(unescaped: schema.messages) WHERE id = \(reference)",
                    logger: logger
                )
                for try await payload in rows.decode(ByteBuffer.self) { return Array(payload.readableBytesView) }
                return nil
            }
            guard let payload else { throw TransportFailure("message \(reference) is gone (older than ten minutes?)") }
            return payload
        }

        /// Where a notification goes: a channel, or the channel of a live responder of a request.
        private enum Destination {
            case literal(String)
            case responder(String)
        }

        /// Sends `message` with one statement: inline when it fits a notification, otherwise its
        /// body goes into `messages` and the notification carries the row's id. For a responder
        /// destination, returns the instance it went to (nil: no live responder).
        @discardableResult
        private func notify(
            _ message: TransportMessage,
            channel: Destination,
            schema: PostgresSchema
        ) async throws
            -> String?
        {
            let inline = try TransportWire.encode(message, reference: nil)
            let fits = inline.utf8.count <= TransportWire.limit
            let template = fits ? inline : try TransportWire.encode(message, reference: 0)
            let body = ByteBuffer(bytes: message.body)
            let expiry = Self.seconds(heartbeat.expiry)
            let query: PostgresQuery
            switch (channel, fits) {
            case (.literal(let name), true):
                query = "SELECT \(name), pg_notify(\(name), \(inline))"
            case (.literal(let name), false):
                query =
                    """
                    WITH m AS (INSERT INTO \(unescaped: schema.messages) (payload) VALUES (\(body)) RETURNING id)
                    SELECT \(name), pg_notify(\(name), replace(\(template), '"r":0', '"r":' || m.id::text)) FROM m
                    """
            case (.responder(let request), true):
                query =
                    """
                    WITH r AS (
                        SELECT instance_id FROM \(unescaped: schema.responders)
                        WHERE request_name = \(request) AND heartbeat_at > now() - \(expiry) * interval '1 second'
                        ORDER BY random() LIMIT 1)
                    SELECT r.instance_id, pg_notify('eventbus_i_' || r.instance_id, \(inline)) FROM r
                    """
            case (.responder(let request), false):
                query =
                    """
                    WITH r AS (
                        SELECT instance_id FROM \(unescaped: schema.responders)
                        WHERE request_name = \(request) AND heartbeat_at > now() - \(expiry) * interval '1 second'
                        ORDER BY random() LIMIT 1),
                    m AS (INSERT INTO \(unescaped: schema.messages) (payload) SELECT \(body) FROM r RETURNING id)
                    SELECT r.instance_id, pg_notify('eventbus_i_' || r.instance_id,
                        replace(\(template), '"r":0', '"r":' || m.id::text))
                    FROM r, m
                    """
            }
            let logger = self.logger
            let target = try await run("send a transport message") { connection in
                var target: String?
                for try await (destination, _) in try await connection.query(query, logger: logger).decode(
                    (String, String).self
                ) {
                    target = destination
                }
                return target
            }
            return target
        }
    }

    /// A transport message as a notification's payload: compact JSON, the body in base64 (or, past
    /// the limit, a reference to a row of `messages`).
    struct TransportWire: Codable {
        /// Below NOTIFY's 8000 bytes, with room to spare.
        static let limit = 7_500

        var k: TransportMessage.Kind
        var f: String
        var n: String
        var i: String
        var d: Int64?
        var b: Data?
        var r: Int64?

        static func encode(_ message: TransportMessage, reference: Int64?) throws -> String {
            let wire = TransportWire(
                k: message.kind,
                f: message.from,
                n: message.name,
                i: message.id,
                d: message.deadline,
                b: reference == nil ? Data(message.body) : nil,
                r: reference
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(wire), as: UTF8.self)
        }

        static func decode(_ payload: String) -> TransportMessage? {
            guard let wire = try? JSONDecoder().decode(TransportWire.self, from: Data(payload.utf8)) else { return nil }
            return TransportMessage(
                kind: wire.k,
                from: wire.f,
                name: wire.n,
                id: wire.i,
                deadline: wire.d,
                body: wire.b.map { Array($0) } ?? [],
                reference: wire.r
            )
        }
    }
#endif
