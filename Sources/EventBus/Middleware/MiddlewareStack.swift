import EventLog
import EventQueue
import Synchronization

/// The installed middlewares, in order. `isActive` is an atomic so that a bus without
/// middleware pays one relaxed load per publish.
///
/// What applies to an event type is worked out once per type and kept until a middleware is
/// added or removed: a publish and each handler invocation look it up instead of filtering the
/// installed list (and casting each entry to find a time limit) every time.
@usableFromInline
final class MiddlewareStack: Sendable {
    struct Installed: Sendable {
        let id: UInt64
        let scope: ObjectIdentifier?
        let middleware: any Middleware
    }

    /// The middlewares that apply to one event type, and the shortest handler time limit among them.
    struct Chain: Sendable {
        let middlewares: [any Middleware]
        let timeLimit: HandlerTimeoutMiddleware?

        static let empty = Chain(middlewares: [], timeLimit: nil)
    }

    private struct State {
        var next: UInt64 = 0
        var installed: [Installed] = []
        /// Chains by event type, dropped whenever `installed` changes.
        var chains: [ObjectIdentifier: Chain] = [:]
    }

    private let state = Locked(State())
    private let active = Atomic<Bool>(false)

    @usableFromInline
    var isActive: Bool { active.load(ordering: .relaxed) }

    func add(_ middleware: any Middleware, scope: ObjectIdentifier?) -> UInt64 {
        state.withLock { state in
            state.next += 1
            state.installed.append(Installed(id: state.next, scope: scope, middleware: middleware))
            state.chains.removeAll()
            active.store(true, ordering: .relaxed)
            return state.next
        }
    }

    func remove(_ id: UInt64) {
        state.withLock { state in
            state.installed.removeAll { $0.id == id }
            state.chains.removeAll()
            active.store(!state.installed.isEmpty, ordering: .relaxed)
        }
    }

    /// What applies to events of `type`, in installation order.
    func chain(for type: Any.Type) -> Chain {
        guard isActive else { return .empty }
        let key = ObjectIdentifier(type)
        return state.withLock { state in
            if let cached = state.chains[key] { return cached }
            let middlewares = state.installed.filter { $0.scope == nil || $0.scope == key }.map(\.middleware)
            let chain = Chain(
                middlewares: middlewares,
                timeLimit: middlewares.compactMap { $0 as? HandlerTimeoutMiddleware }.min { $0.limit < $1.limit }
            )
            state.chains[key] = chain
            return chain
        }
    }

    /// The middlewares that apply to events of `type`, in installation order.
    @usableFromInline
    func applicable(to type: Any.Type) -> [any Middleware] {
        chain(for: type).middlewares
    }

    /// Runs `body` inside every applicable middleware's `invoke`, the first installed outermost.
    func invoke(
        _ invocation: HandlerInvocation,
        eventType: Any.Type,
        _ body: @escaping () async throws -> Void
    ) async throws {
        try await invoke(invocation, chain: chain(for: eventType).middlewares, body)
    }

    /// ``invoke(_:eventType:_:)`` for an inline callback: the body is synchronous and runs on
    /// the caller, inside every applicable middleware's `invoke`.
    @usableFromInline
    func invokeInline(
        _ invocation: HandlerInvocation,
        eventType: Any.Type,
        _ body: () throws -> Void
    ) async throws {
        try await withoutActuallyEscaping(body) { body in
            try await invoke(invocation, chain: chain(for: eventType).middlewares) { try body() }
        }
    }

    /// ``invoke(_:eventType:_:)`` with the chain already looked up.
    func invoke(
        _ invocation: HandlerInvocation,
        chain: [any Middleware],
        _ body: @escaping () async throws -> Void
    ) async throws {
        guard !chain.isEmpty else { return try await body() }
        try await run(chain[...], invocation, body)
    }

    private func run(
        _ chain: ArraySlice<any Middleware>,
        _ invocation: HandlerInvocation,
        _ body: @escaping () async throws -> Void
    ) async throws {
        guard let first = chain.first else { return try await body() }
        try await first.invoke(invocation) { try await self.run(chain.dropFirst(), invocation, body) }
    }
}
