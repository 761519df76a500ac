import EventLog
import EventQueue

/// Resumes one waiting caller with the first result of several tasks (a responder against a timer,
/// a drain against a deadline, a PostgreSQL statement against its bound) and cancels the others.
package final class Race<Response: Sendable>: Sendable {
    private struct State {
        var continuation: Resumable<Response>?
        var result: Result<Response, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Locked(State())

    /// A race without a result yet.
    package init() {}

    /// The caller waits here for the first result.
    package func start(_ continuation: CheckedContinuation<Response, any Error>) {
        start(.throwing(continuation))
    }

    /// The caller waits here for the first success.
    package func start(_ continuation: CheckedContinuation<Response, Never>) {
        start(.nonThrowing(continuation))
    }

    private func start(_ continuation: Resumable<Response>) {
        let early: Result<Response, any Error>? = state.withLock { state in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Whether the race has a result (a caller cancelled before the race began has one at once).
    package var isFinished: Bool {
        state.withLock { $0.result != nil }
    }

    /// A task of the race (cancelled when the race has a result, at once if it has one).
    package func add(_ task: Task<Void, Never>) {
        let finished = state.withLock { state -> Bool in
            if state.result != nil { return true }
            state.tasks.append(task)
            return false
        }
        if finished { task.cancel() }
    }

    /// The first result wins: the caller resumes with it, the other tasks are cancelled.
    package func finish(_ result: Result<Response, any Error>) {
        let (continuation, tasks) = state.withLock {
            state -> (Resumable<Response>?, [Task<Void, Never>]) in
            guard state.result == nil else { return (nil, []) }
            state.result = result
            defer {
                state.continuation = nil
                state.tasks = []
            }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}

/// A continuation that may or may not accept errors.
private enum Resumable<Response: Sendable>: Sendable {
    case throwing(CheckedContinuation<Response, any Error>)
    case nonThrowing(CheckedContinuation<Response, Never>)

    func resume(with result: Result<Response, any Error>) {
        switch self {
        case .throwing(let continuation):
            continuation.resume(with: result)
        case .nonThrowing(let continuation):
            // Only successes are ever reported to a non-throwing waiter.
            if case .success(let value) = result { continuation.resume(returning: value) }
        }
    }
}
