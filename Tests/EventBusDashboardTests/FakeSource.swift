import EventBusDashboard
import EventQueue
import Synchronization

/// A source with known numbers, for tests: mailboxes and dead letters as given, and a record of
/// the actions performed (requeue removes the dead letters it names, purge empties a mailbox).
final class FakeSource: DashboardSource {
    private struct State {
        var mailboxes: [MailboxSnapshot]
        var letters: [String: [DeadLetterSnapshot]]
        var performed: [DashboardAction] = []
    }

    let kind: DashboardSourceKind
    let notice: String?
    private let state: Mutex<State>

    init(
        kind: DashboardSourceKind = .live,
        notice: String? = nil,
        mailboxes: [MailboxSnapshot],
        letters: [String: [DeadLetterSnapshot]] = [:]
    ) {
        self.kind = kind
        self.notice = notice
        state = Mutex(State(mailboxes: mailboxes, letters: letters))
    }

    var performed: [DashboardAction] { state.withLock { $0.performed } }

    func update(_ name: String, _ change: @Sendable (inout MailboxSnapshot) -> Void) {
        state.withLock { state in
            for index in state.mailboxes.indices where state.mailboxes[index].name == name {
                change(&state.mailboxes[index])
            }
        }
    }

    func mailboxes() async throws -> [MailboxSnapshot] {
        state.withLock { $0.mailboxes }
    }

    func deadLetters(of mailbox: String, limit: Int, bodies: Bool) async throws -> [DeadLetterSnapshot] {
        state.withLock { state in
            (state.letters[mailbox] ?? []).prefix(limit).map { letter in
                var letter = letter
                if !bodies { letter.body = nil }
                return letter
            }
        }
    }

    func perform(_ action: DashboardAction) async throws -> String {
        try state.withLock { state in
            guard let index = state.mailboxes.firstIndex(where: { $0.name == action.mailbox }) else {
                throw DashboardActionError.unknownMailbox(action.mailbox)
            }
            state.performed.append(action)
            switch action {
            case .requeue(let name, let ids):
                let before = state.letters[name]?.count ?? 0
                state.letters[name] = (state.letters[name] ?? []).filter { letter in
                    ids.map { !$0.contains(letter.id) } ?? false
                }
                let count = before - (state.letters[name]?.count ?? 0)
                state.mailboxes[index].deadLetters -= count
                state.mailboxes[index].depth += count
                return "requeued \(count) dead letters of \(name)"
            case .purge(let name):
                state.mailboxes[index].depth = 0
                state.mailboxes[index].deadLetters = 0
                state.letters[name] = []
                return "purged \(name)"
            case .remove(let name):
                state.mailboxes.remove(at: index)
                return "removed \(name)"
            }
        }
    }
}

/// Mailboxes with known numbers: one draining, one filling, one growing without bound, and one
/// whose name is an attack on the page.
enum Known {
    static let hostile = "<script>alert('x')</script>"

    static func mailboxes() -> [MailboxSnapshot] {
        var billing = MailboxSnapshot(
            name: "billing",
            kind: .durable,
            depth: 400,
            inFlight: 8,
            delayed: 0,
            deadLetters: 2,
            actions: [.requeue, .purge, .remove]
        )
        billing.capacity = 10_000
        billing.arrivalRate = 0
        billing.consumeRate = 10
        billing.latencyP50 = 0.012
        billing.latencyP99 = 1.3
        billing.deadLettered = 2
        billing.forecast = ForecastSnapshot(.drains(inSeconds: 40))
        var audit = MailboxSnapshot(name: "audit", kind: .memory, depth: 100, inFlight: 0, delayed: 0, deadLetters: 0)
        audit.capacity = 1_000
        audit.arrivalRate = 55
        audit.consumeRate = 50
        audit.forecast = ForecastSnapshot(.fills(inSeconds: 180))
        var mailer = MailboxSnapshot(
            name: "mailer",
            kind: .callback,
            depth: 10,
            inFlight: 1,
            delayed: 0,
            deadLetters: 0
        )
        mailer.arrivalRate = 2.5
        mailer.consumeRate = 1
        mailer.forecast = ForecastSnapshot(.grows(perSecond: 1.5))
        let hostile = MailboxSnapshot(
            name: Self.hostile,
            kind: .durable,
            depth: 1,
            inFlight: 0,
            delayed: 0,
            deadLetters: 1,
            actions: [.requeue]
        )
        return [billing, audit, mailer, hostile]
    }

    static func letters() -> [String: [DeadLetterSnapshot]] {
        [
            "billing": [
                DeadLetterSnapshot(
                    id: "0000000000000000000000000000000a",
                    eventName: "OrderPlaced",
                    reason: DeadLetterReasonSnapshot(kind: "handlerFailed", text: "payment declined for order 7"),
                    attempts: 3,
                    crashes: 0,
                    deadLetteredAt: "2026-12-06T07:01:02Z",
                    body: #"{"customer":"ada@example.com"}"#
                ),
                DeadLetterSnapshot(
                    id: "0000000000000000000000000000000b",
                    eventName: "OrderPlaced",
                    reason: DeadLetterReasonSnapshot(kind: "undecryptable", text: "no key k2"),
                    attempts: 0,
                    crashes: 1
                ),
            ],
            hostile: [
                DeadLetterSnapshot(
                    id: "0000000000000000000000000000000c",
                    eventName: "<b>Evil</b>",
                    reason: DeadLetterReasonSnapshot(kind: "<i>", text: "<img src=x onerror=alert(1)>"),
                    attempts: 1,
                    crashes: 0
                )
            ],
        ]
    }
}
