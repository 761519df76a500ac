import EventLog
import EventQueue
import Foundation

/// A bus's side of its transport (Architecture.md, "The bus across instances"): its instance
/// id, the requests waiting for replies, the responders other instances may call, the broadcast
/// types it receives, and the one task that handles what arrives, in arrival order.
final class TransportLink: Sendable {
    /// Answers a request that arrived from another instance: the reply's body, or an error.
    typealias Answer = @Sendable (TransportMessage) async throws -> [UInt8]
    /// Publishes a broadcast that arrived from another instance to this bus's in-memory subscribers.
    typealias Receive = @Sendable (TransportMessage) async -> Void

    private struct Pending {
        let continuation: CheckedContinuation<TransportMessage, any Error>
        var timer: UInt64?
        /// The instance the request went to (for a cancel).
        var target: String?
    }

    private struct State {
        var start: Task<Void, any Error>?
        var pending: [String: Pending] = [:]
        var responders: [String: Answer] = [:]
        var running: [String: RunningAnswer] = [:]
        var broadcasts: [String: Receive] = [:]
        var heartbeat: Task<Void, Never>?
        var failure: TransportFailure?
        var stopped = false
        /// Broadcasts of types this instance did not declare (never decoded).
        var undeclared: UInt64 = 0
    }

    let backend: any TransportBackend
    /// This bus's instance id: 32 hex digits, random.
    let instance: String
    private let state = Locked(State())
    /// What arrived, waiting for the one task that handles it: bounded, the oldest dropped when a
    /// flood outruns this bus (at-most-once), so that the transport's receiving never waits.
    let inbound: WorkQueue<TransportMessage>
    private let deadlines: Deadlines

    init(backend: any TransportBackend, deadlines: Deadlines, clock: any QueueClock) {
        self.backend = backend
        self.instance = EventID.random().description
        self.deadlines = deadlines
        self.inbound = WorkQueue(
            name: "transport inbound",
            configuration: QueueConfiguration(capacity: .bounded(10_000, overflow: .dropOldest), clock: clock)
        )
        let inbound = self.inbound
        Task { [weak self] in
            while let batch = try? await inbound.next() {
                for lease in batch { await self?.handle(lease.element) }
            }
        }
    }

    deinit {
        // A bus released without a shutdown: the task that handles arrivals ends too.
        inbound.terminate()
        state.withLock { $0.heartbeat }?.cancel()
    }

    // MARK: Starting and health

    /// Starts receiving (once; later calls wait for the first).
    /// - Throws: ``BusError/transportUnavailable(_:)`` when the transport cannot receive.
    func ensureStarted() async throws {
        let task = state.withLock { state -> Task<Void, any Error> in
            if let start = state.start { return start }
            let backend = self.backend
            let instance = self.instance
            let inbound = self.inbound
            let health: @Sendable (TransportFailure?) -> Void = { [weak self] failure in self?.healthChanged(failure) }
            let start = Task {
                try await backend.start(
                    instance: instance,
                    inbox: { message in
                        _ = try? inbound.tryEnqueue(message, id: EventID.random(), priority: .normal)
                    },
                    health: health
                )
            }
            state.start = start
            return start
        }
        do {
            try await task.value
        } catch let failure as TransportFailure {
            throw BusError.transportUnavailable(failure)
        } catch {
            throw BusError.transportUnavailable(TransportFailure("\(error)"))
        }
    }

    /// Why requests and broadcasts cannot travel now (nil: they can).
    var failure: TransportFailure? {
        backend.failure ?? state.withLock { $0.failure }
    }

    /// Receiving stopped (or started again): requests waiting for a reply fail at once, since
    /// their replies could not arrive.
    private func healthChanged(_ failure: TransportFailure?) {
        let waiting = state.withLock { state -> [Pending] in
            state.failure = failure
            guard failure != nil else { return [] }
            defer { state.pending = [:] }
            return Array(state.pending.values)
        }
        for pending in waiting {
            if let timer = pending.timer { deadlines.cancel(timer) }
            pending.continuation.resume(throwing: BusError.transportUnavailable(failure ?? TransportFailure("down")))
        }
    }

    /// At shutdown: requests waiting fail with ``BusError/shutDown``, responders are unregistered.
    func stop() async {
        let (waiting, heartbeat, started) = state.withLock { state in
            state.stopped = true
            defer {
                state.pending = [:]
                state.heartbeat = nil
            }
            return (Array(state.pending.values), state.heartbeat, state.start != nil)
        }
        heartbeat?.cancel()
        for pending in waiting {
            if let timer = pending.timer { deadlines.cancel(timer) }
            pending.continuation.resume(throwing: BusError.shutDown)
        }
        if started { await backend.stop(instance: instance) }
        inbound.terminate()
    }

    // MARK: Requests

    /// Sends a request to a responder on another instance and waits for its reply (or failure).
    /// - Throws: ``BusError/noResponder(requestName:)`` at once when none is registered anywhere;
    ///   ``BusError/timeout(requestName:after:)``; ``BusError/transportUnavailable(_:)``;
    ///   ``BusError/remoteFailure(requestName:instance:description:)``; `CancellationError`.
    func request(name: String, id: String, body: [UInt8], timeout: Duration) async throws -> [UInt8] {
        try await ensureStarted()
        if let failure { throw BusError.transportUnavailable(failure) }
        let deadline = Int64(Date().timeIntervalSince1970 * 1000) + timeout.milliseconds
        let message = TransportMessage(
            kind: .request,
            from: instance,
            name: name,
            id: id,
            deadline: deadline,
            body: body
        )
        let reply = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<TransportMessage, any Error>) in
                let registered = state.withLock { state -> Bool in
                    guard !state.stopped else { return false }
                    state.pending[id] = Pending(continuation: continuation)
                    return true
                }
                guard registered else {
                    continuation.resume(throwing: BusError.shutDown)
                    return
                }
                let timer = deadlines.schedule(after: timeout) { [weak self] in
                    self?.finish(id, .failure(BusError.timeout(requestName: name, after: timeout)))
                }
                let stillWaiting = state.withLock { state -> Bool in
                    guard state.pending[id] != nil else { return false }
                    state.pending[id]?.timer = timer
                    return true
                }
                if !stillWaiting { deadlines.cancel(timer) }
                if Task.isCancelled {
                    finish(id, .failure(CancellationError()))
                    return
                }
                let backend = self.backend
                Task { [weak self] in
                    do {
                        guard let target = try await backend.sendRequest(message, requestName: name) else {
                            self?.finish(id, .failure(BusError.noResponder(requestName: name)))
                            return
                        }
                        self?.state.withLock { $0.pending[id]?.target = target }
                    } catch {
                        self?.finish(id, .failure(BusError.transportUnavailable(TransportFailure("\(error)"))))
                    }
                }
            }
        } onCancel: {
            finish(id, .failure(CancellationError()))
        }
        let body = try await self.body(of: reply)
        if reply.kind == .failure {
            throw BusError.remoteFailure(
                requestName: name,
                instance: reply.from,
                description: String(decoding: body, as: UTF8.self)
            )
        }
        return body
    }

    /// Ends a waiting request; a request that ended early (timeout, cancellation) tells its
    /// responder's instance to drop it.
    private func finish(_ id: String, _ result: Result<TransportMessage, any Error>) {
        guard let pending = state.withLock({ $0.pending.removeValue(forKey: id) }) else { return }
        if let timer = pending.timer { deadlines.cancel(timer) }
        pending.continuation.resume(with: result)
        if case .failure = result, let target = pending.target {
            let cancel = TransportMessage(kind: .cancel, from: instance, name: "", id: id, body: [])
            let backend = self.backend
            Task { try? await backend.send(cancel, to: target) }
        }
    }

    /// Makes this instance a responder of `name` for the other instances: registered with a
    /// heartbeat once the transport receives (behind a pooler that breaks LISTEN it is not, and
    /// the responder serves this process only).
    func addResponder(_ name: String, answer: @escaping Answer) {
        let start = state.withLock { state -> Bool in
            state.responders[name] = answer
            guard state.heartbeat == nil, !state.stopped else { return false }
            state.heartbeat = Task {}
            return true
        }
        guard start else { return }
        let backend = self.backend
        let instance = self.instance
        let task = Task { [weak self] in
            do {
                try await self?.ensureStarted()
            } catch {
                return
            }
            while !Task.isCancelled {
                guard let names = self?.state.withLock({ Array($0.responders.keys) }) else { return }
                if !names.isEmpty { try? await backend.register(responders: names, instance: instance) }
                try? await Task.sleep(for: backend.heartbeat.interval)
            }
        }
        state.withLock { $0.heartbeat = task }
    }

    /// Stops answering `name` for other instances.
    func removeResponder(_ name: String) {
        state.withLock { _ = $0.responders.removeValue(forKey: name) }
        let backend = self.backend
        let instance = self.instance
        Task { try? await backend.unregister(responder: name, instance: instance) }
    }

    // MARK: Broadcasts

    /// Receives broadcasts of `name` from other instances through `receive`; false when `name`
    /// was declared already (the first declaration stays).
    func addBroadcast(_ name: String, receive: @escaping Receive) -> Bool {
        state.withLock { state in
            guard state.broadcasts[name] == nil else { return false }
            state.broadcasts[name] = receive
            return true
        }
    }

    /// Sends a broadcast to every other instance.
    /// - Throws: ``BusError/transportUnavailable(_:)``.
    func broadcast(_ message: TransportMessage) async throws {
        if let failure { throw BusError.transportUnavailable(failure) }
        do {
            try await backend.broadcast([message])
        } catch let error as BusError {
            throw error
        } catch {
            throw BusError.transportUnavailable(TransportFailure("\(error)"))
        }
    }

    // MARK: Arrivals

    /// The body of a message, fetched when it travelled by reference.
    private func body(of message: TransportMessage) async throws -> [UInt8] {
        guard let reference = message.reference else { return message.body }
        do {
            return try await backend.fetch(reference: reference)
        } catch {
            throw BusError.transportUnavailable(TransportFailure("the message's body could not be read: \(error)"))
        }
    }

    /// Handles one arrival, in arrival order.
    private func handle(_ message: TransportMessage) async {
        switch message.kind {
        case .broadcast:
            // Never twice to its publisher, which delivered it in process.
            guard message.from != instance else { return }
            guard let receive = state.withLock({ $0.broadcasts[message.name] }) else {
                state.withLock { $0.undeclared += 1 }
                return
            }
            guard let body = try? await body(of: message) else { return }
            var full = message
            full.body = body
            full.reference = nil
            await receive(full)
        case .request:
            await answer(message)
        case .reply, .failure:
            guard state.withLock({ $0.pending[message.id] != nil }) else { return }  // late: discarded
            finish(message.id, .success(message))
        case .cancel:
            let running = state.withLock { $0.running.removeValue(forKey: message.from + "/" + message.id) }
            running?.cancel()
        }
    }

    /// Runs the responder of a request from another instance in a task of its own, and sends its
    /// reply (or failure) to the requesting instance only. A request past its deadline is not run.
    private func answer(_ message: TransportMessage) async {
        if let deadline = message.deadline, deadline <= Int64(Date().timeIntervalSince1970 * 1000) { return }
        let key = message.from + "/" + message.id
        let backend = self.backend
        let instance = self.instance
        guard let answer = state.withLock({ $0.responders[message.name] }) else {
            let failure = TransportMessage(
                kind: .failure,
                from: instance,
                name: message.name,
                id: message.id,
                body: Array("no responder of \(message.name) on this instance any more".utf8)
            )
            try? await backend.send(failure, to: message.from)
            return
        }
        let request: TransportMessage
        do {
            var full = message
            full.body = try await body(of: message)
            full.reference = nil
            request = full
        } catch {
            return
        }
        let running = RunningAnswer()
        state.withLock { $0.running[key] = running }
        let task = Task { [weak self] in
            let reply: TransportMessage
            do {
                let body = try await answer(request)
                reply = TransportMessage(kind: .reply, from: instance, name: message.name, id: message.id, body: body)
            } catch is CancellationError {
                self?.state.withLock { _ = $0.running.removeValue(forKey: key) }
                return
            } catch {
                reply = TransportMessage(
                    kind: .failure,
                    from: instance,
                    name: message.name,
                    id: message.id,
                    body: Array("\(error)".utf8)
                )
            }
            self?.state.withLock { _ = $0.running.removeValue(forKey: key) }
            try? await backend.send(reply, to: message.from)
        }
        running.started(task)
    }
}

/// A request being answered for another instance, registered before its task starts, so that a
/// cancel that arrives at any moment reaches it.
final class RunningAnswer: Sendable {
    private let state = Locked<(task: Task<Void, Never>?, cancelled: Bool)>((nil, false))

    /// Its task started.
    func started(_ task: Task<Void, Never>) {
        let cancel = state.withLock { state -> Bool in
            state.task = task
            return state.cancelled
        }
        if cancel { task.cancel() }
    }

    /// The requester gave up: stop the responder.
    func cancel() {
        let task = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.task
        }
        task?.cancel()
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
