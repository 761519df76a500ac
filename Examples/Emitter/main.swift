// Emitter — EventEmitter-style callbacks: on, once, off, several listeners per event.
import CommandLineSupport
import EventBus
import Foundation

struct UserSignedUp: Event {
    let name: String
}

struct UserLoggedIn: Event {
    let name: String
}

/// Any event about a user.
protocol UserEvent: Event {
    var name: String { get }
}

extension UserSignedUp: UserEvent {}
extension UserLoggedIn: UserEvent {}

let spec = CommandSpec(name: "swift run Emitter", summary: "on, once and off with callbacks")

@MainActor
func main() async throws {
    let bus = Bus()
    var log: [String] = []

    // Callbacks registered here run on the main actor: they may touch `log` directly.
    try bus.on(UserSignedUp.self) { user in log.append("welcome mail to \(user.name)") }
    try bus.on(UserSignedUp.self) { user in log.append("analytics: signup by \(user.name)") }
    try bus.once(UserLoggedIn.self) { user in log.append("first login ever: \(user.name)") }
    let audit = try bus.on(matching: (any UserEvent).self) { event in
        log.append("audit: \(type(of: event)) \(event.name)")
    }

    try await bus.publish(UserSignedUp(name: "ada"))
    try await bus.publish(UserLoggedIn(name: "ada"))
    try await bus.publish(UserLoggedIn(name: "ada"))  // `once` has already fired
    await bus.waitUntilIdle()

    audit.cancel()  // off
    try await bus.publish(UserSignedUp(name: "grace"))
    await bus.waitUntilIdle()

    for (index, line) in log.enumerated() { print(String(format: "%2d  ", index + 1) + line) }
    print("\n\(log.count) reactions; `once` fired once; the audit listener was removed before grace signed up")
    await bus.shutdown()
}

await CommandExit.run("emitter") {
    _ = try spec.parse(Array(CommandLine.arguments.dropFirst()))
    try await main()
}
