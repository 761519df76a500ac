import Foundation

/// A PostgreSQL connection URL as `eventbus … --postgres URL` takes it, parsed by hand with
/// `URLComponents` (postgres-nio has no URL parser):
///
///     postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-full]
///
/// The scheme may also be `postgresql`; user, password and database are percent-decoded; the port
/// defaults to 5432 and `sslmode` to `prefer`, as with libpq. Without a password in the URL, the
/// environment's `PGPASSWORD` is used (libpq's variable), so that it need not be on the command
/// line.
///
/// Its ``description`` (and its mirror, and every ``PostgresURLError``) shows the URL with the
/// password replaced by `***`: print it freely.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
    /// Whether and how the connection uses TLS (the URL's `sslmode`, with libpq's meanings).
    public enum TLSMode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS if the server offers it, without checking its certificate; else plain (the default).
        case prefer
        /// TLS or no connection; the certificate is not checked (as libpq's `require` without a
        /// root certificate).
        case require
        /// TLS or no connection, the certificate checked against the system's trust roots and
        /// the host name.
        case verifyFull = "verify-full"
    }

    /// The role to log in as.
    public let user: String
    /// The password, from the URL or else from `PGPASSWORD`; nil for none. Never in the
    /// description.
    public let password: String?
    /// The server's host name or address.
    public let host: String
    /// The server's port (default 5432).
    public let port: Int
    /// The database; nil when the URL names none (the server then uses the user's name).
    public let database: String?
    /// The URL's `sslmode`.
    public let tlsMode: TLSMode
    /// The URL as given, with its password replaced by `***`.
    public let redacted: String

    /// The URL with its password replaced by `***`.
    public var description: String { redacted }

    /// The fields, with the password as `***`, so that `dump(_:)` does not show it either.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "user": user, "password": password == nil ? "nil" : "***", "host": host, "port": port,
                "database": database as Any, "tlsMode": tlsMode, "redacted": redacted,
            ]
        )
    }

    /// Parses `text`, taking the password from `environment["PGPASSWORD"]` when the URL has none.
    /// - Throws: ``PostgresURLError``, which shows the URL redacted.
    public init(parsing text: String, environment: [String: String] = [:]) throws(PostgresURLError) {
        let redacted = Self.redact(text)
        func fail(_ reason: PostgresURLError.Reason) -> PostgresURLError {
            PostgresURLError(url: redacted, reason: reason)
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw fail(.notAURL)
        }
        guard scheme == "postgres" || scheme == "postgresql" else { throw fail(.scheme(scheme)) }
        guard let host = components.host, !host.isEmpty else { throw fail(.noHost) }
        guard let user = components.user, !user.isEmpty else { throw fail(.noUser) }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw fail(.port) }
        var tlsMode = TLSMode.prefer
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw fail(.parameter(item.name)) }
            guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                throw fail(.sslMode(item.value ?? ""))
            }
            tlsMode = mode
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw fail(.database) }
        self.user = user
        self.password = components.password ?? environment["PGPASSWORD"]
        self.host = host
        self.port = port
        self.database = path.isEmpty ? nil : path
        self.tlsMode = tlsMode
        self.redacted = redacted
    }

    /// `text` with the password of its user part (between the first `:` after the scheme and the
    /// last `@`) and any `password=` parameter replaced by `***`. It works on text that is not a
    /// valid URL too; when unsure it hides more, never less.
    public static func redact(_ text: String) -> String {
        var result = text
        let start = result.range(of: "://")?.upperBound ?? result.startIndex
        if let at = result[start...].lastIndex(of: "@"), let colon = result[start..<at].firstIndex(of: ":") {
            result.replaceSubrange(result.index(after: colon)..<at, with: "***")
        }
        return result.replacing(/(password=)[^&#]*/.ignoresCase()) { match in match.output.1 + "***" }
    }
}

/// A `--postgres URL` that could not be used. Its description shows the URL redacted.
public struct PostgresURLError: Error, Equatable, CustomStringConvertible {
    /// What is wrong with it.
    public enum Reason: Equatable, Sendable {
        /// It does not parse as a URL (a port that is not a number, a space, …).
        case notAURL
        /// The scheme is not `postgres` or `postgresql`.
        case scheme(String)
        /// It names no host (a Unix socket is not supported).
        case noHost
        /// It names no user.
        case noUser
        /// The port is not from 1 to 65535.
        case port
        /// The path is not one database name.
        case database
        /// `sslmode` is not `disable`, `prefer`, `require` or `verify-full`.
        case sslMode(String)
        /// A query parameter other than `sslmode`.
        case parameter(String)
    }

    /// The URL with its password replaced by `***`.
    public let url: String
    /// What is wrong with it.
    public let reason: Reason

    /// Creates an error for the redacted `url`.
    public init(url: String, reason: Reason) {
        self.url = url
        self.reason = reason
    }

    /// A sentence for people, with the URL redacted and the expected form.
    public var description: String {
        let why =
            switch reason {
            case .notAURL: "not a URL"
            case .scheme(let scheme): "the scheme is \(scheme), not postgres"
            case .noHost: "it names no host (Unix sockets are not supported)"
            case .noUser: "it names no user"
            case .port: "the port is not from 1 to 65535"
            case .database: "the path is not one database name"
            case .sslMode(let value): "sslmode \"\(value)\" is not one of disable, prefer, require, verify-full"
            case .parameter(let name): "unsupported parameter \"\(name)\" (only sslmode is)"
            }
        return "invalid PostgreSQL URL \(url): \(why); expected "
            + "postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require|verify-full]"
    }
}
