import EventQueue
import Synchronization

/// The installed middlewares, in order. `isActive` is an atomic so that a bus without
/// middleware pays one relaxed load per publish.
@usableFromInline
final class MiddlewareStack: Sendable {
    struct Installed: Sendable {
        let id: UInt64
        let scope: ObjectIdentifier?
        let middleware: any Middleware
    }

    private let state = Locked<(next: UInt64, installed: [Installed])>((0, []))
    private let active = Atomic<Bool>(false)

    @usableFromInline
    var isActive: Bool { active.load(ordering: .relaxed) }

    func add(_ middleware: any Middleware, scope: ObjectIdentifier?) -> UInt64 {
        state.withLock { state in
            state.next += 1
            state.installed.append(Installed(id: state.next, scope: scope, middleware: middleware))
            active.store(true, ordering: .relaxed)
            return state.next
        }
    }

    func remove(_ id: UInt64) {
        state.withLock { state in
            state.installed.removeAll { $0.id == id }
            active.store(!state.installed.isEmpty, ordering: .relaxed)
        }
    }

    /// The middlewares that apply to events of `type`, in installation order.
    func applicable(to type: Any.Type) -> [any Middleware] {
        guard isActive else { return [] }
        let key = ObjectIdentifier(type)
        return state.withLock { state in
            state.installed.filter { $0.scope == nil || $0.scope == key }.map(\.middleware)
        }
    }

    /// Runs `body` inside every applicable middleware's `invoke`, the first installed outermost.
    func invoke(
        _ invocation: HandlerInvocation,
        eventType: Any.Type,
        _ body: @escaping () async throws -> Void
    ) async throws {
        let chain = applicable(to: eventType)
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
