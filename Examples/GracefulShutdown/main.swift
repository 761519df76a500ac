// GracefulShutdown — the bus as a service of a ServiceGroup that drains on SIGTERM (trait
// ServiceLifecycleSupport; `swift run --traits ServiceLifecycleSupport GracefulShutdown`).
//
// With no arguments it shows the whole story in one process: a durable mailbox with a slow
// consumer, a graceful shutdown that lets the handler in progress finish and leaves the rest
// stored, and a second start that gets exactly the rest. The SIGTERM test runs it as a child:
//
//   GracefulShutdown serve DIR EVENTS HANDLE_MS DEADLINE_MS   publish EVENTS, consume slowly
//                                                             until SIGTERM, drain, exit
//   GracefulShutdown recover DIR                              print what is delivered again
#if ServiceLifecycleSupport
    import EventBus
    import Foundation
    import Logging
    import ServiceLifecycle
    import UnixSignals

    struct Order: Event, Codable {
        let number: Int
    }

    /// Writes a line to standard output at once (a pipe to a parent would buffer `print`).
    func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Arguments that are not numbers where numbers belong.
    struct UsageError: Error {
        let arguments: [String]
    }

    /// Says "serving" once the group runs: its signal handlers are installed before any service starts.
    struct Announcer: Service {
        func run() async throws {
            say("serving")
            try? await gracefulShutdown()
        }
    }

    let silent = Logger(label: "graceful-shutdown") { _ in SwiftLogNoOpLogHandler() }

    /// Publishes `events` orders into the durable mailbox in `directory`, consumes them slowly and
    /// runs the bus in a service group until SIGTERM (or `trigger`), then drains.
    func serve(directory: String, events: Int, handle: Duration, deadline: Duration, trigger: Bool) async throws {
        var configuration = BusConfiguration()
        configuration.gracefulShutdownDeadline = deadline
        let bus = Bus(configuration: configuration)
        let mailbox = Mailbox.durable(name: "orders", directory: directory)
        try await bus.consume(Order.self, mailbox: mailbox) { order in
            say("started \(order.number)")
            try await Task.sleep(for: handle)
            say("finished \(order.number)")
        }
        try await bus.publish(contentsOf: (0..<events).map(Order.init(number:)))
        say("published \(events)")
        let group = ServiceGroup(services: [Announcer(), bus], gracefulShutdownSignals: [.sigterm], logger: silent)
        if trigger {
            Task {
                try await Task.sleep(for: handle * 3)
                say("graceful shutdown")
                await group.triggerGracefulShutdown()
            }
        }
        try await group.run()
        let report = await bus.shutdown()
        say("stopped drained=\(report.drained) abandoned=\(report.abandoned)")
    }

    /// Opens the mailbox again and prints every order delivered again.
    func recover(directory: String) async throws {
        let bus = Bus()
        try await bus.consume(Order.self, mailbox: .durable(name: "orders", directory: directory)) { order in
            say("redelivered \(order.number)")
        }
        await bus.waitUntilIdle()
        await bus.shutdown()
        say("recovered")
    }

    let arguments = Array(CommandLine.arguments.dropFirst())
    do {
        switch arguments.first {
        case "serve" where arguments.count == 5:
            guard let events = Int(arguments[2]), let handle = Int(arguments[3]), let deadline = Int(arguments[4])
            else {
                throw UsageError(arguments: arguments)
            }
            try await serve(
                directory: arguments[1],
                events: events,
                handle: .milliseconds(handle),
                deadline: .milliseconds(deadline),
                trigger: false
            )
        case "recover" where arguments.count == 2:
            try await recover(directory: arguments[1])
        case nil:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("graceful-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try await serve(
                directory: directory,
                events: 20,
                handle: .milliseconds(100),
                deadline: .milliseconds(250),
                trigger: true
            )
            try await recover(directory: directory)
        default:
            say("usage: GracefulShutdown [serve DIR EVENTS HANDLE_MS DEADLINE_MS | recover DIR]")
            exit(64)
        }
    } catch {
        say("error: \(error)")
        exit(1)
    }
#else
    print("GracefulShutdown needs the trait: swift run --traits ServiceLifecycleSupport GracefulShutdown")
#endif
