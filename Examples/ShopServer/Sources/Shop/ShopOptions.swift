import CommandLineSupport
import Foundation

/// How the server is started: `--hostname`, `--port`, `--data`.
public struct ShopOptions: Sendable, Equatable {
    /// The address to listen on.
    public var hostname = "127.0.0.1"
    /// The port (0: any free port).
    public var port = 8080
    /// The folder for the durable mailboxes (`mailboxes/`) and the ledger (`ledger.txt`).
    public var data = "shop-data"
    /// The dashboard's token (nil: a random one, printed at start).
    public var dashboardToken: String?

    /// The defaults: 127.0.0.1:8080, `./shop-data`.
    public init() {}

    /// The command line's description, for `--help` and errors.
    public static let spec = CommandSpec(
        name: "swift run ShopServer",
        summary: "a small shop on Hummingbird with the event bus beside it",
        options: [
            OptionSpec("--hostname", value: "HOST", help: "address to listen on (default 127.0.0.1)"),
            OptionSpec("--port", value: "PORT", help: "port to listen on, 0 for any free port (default 8080)"),
            OptionSpec(
                "--data",
                value: "DIR",
                help: "folder for the durable mailboxes and the ledger (default ./shop-data)"
            ),
            OptionSpec(
                "--dashboard-token",
                value: "TOKEN",
                help: "the secret that opens /eventbus (default: a random one, printed at start)"
            ),
        ]
    )

    /// Reads the options from the command line (without the program's name).
    /// - Throws: `ArgumentError` (its description is the message to print), `helpRequested` for `--help`.
    public init(arguments: [String]) throws(ArgumentError) {
        let parsed = try Self.spec.parse(arguments)
        hostname = parsed.value("--hostname") ?? hostname
        port = try parsed.int("--port", default: port, in: 0...65_535)
        data = parsed.value("--data") ?? data
        dashboardToken = parsed.value("--dashboard-token")
    }
}
