/// A request to the dashboard, whatever the server framework: what an adapter hands to
/// ``Dashboard/respond(to:granted:)``.
public struct DashboardRequest: Sendable {
    /// `GET`, `POST`, … (upper case).
    public var method: String
    /// The path below the dashboard's mount point, without a leading slash: `""` for the page,
    /// `snapshot.json`, `actions/requeue`.
    public var path: String
    /// Where the dashboard is mounted, as the browser sees it, without a trailing slash:
    /// `/eventbus`, or `""` at the root. Links, cookies and redirects are made under it.
    public var mount: String
    /// The query's fields, percent-decoded (the last of a repeated name).
    public var query: [String: String]
    /// Header fields by lower-case name (repeated fields joined with `, `).
    public var headers: [String: String]
    /// A form body's fields (`application/x-www-form-urlencoded`), each name with every value.
    public var form: [String: [String]]
    /// Whether the peer's address is a loopback address (127.0.0.0/8, ::1); false when the
    /// adapter does not know it.
    public var peerIsLoopback: Bool

    /// A request. `query` is the raw query string (after `?`); `body` is parsed as a form when
    /// the content type says so.
    public init(
        method: String,
        path: String,
        mount: String,
        query: String = "",
        headers: [String: String] = [:],
        body: [UInt8] = [],
        peerIsLoopback: Bool = false
    ) {
        self.method = method.uppercased()
        var below = Substring(path)
        while below.hasPrefix("/") { below = below.dropFirst() }
        self.path = String(below)
        var base = Substring(mount)
        while base.hasSuffix("/") { base = base.dropLast() }
        self.mount = String(base)
        var lowered: [String: String] = [:]
        for (name, value) in headers {
            let key = name.lowercased()
            lowered[key] = lowered[key].map { $0 + ", " + value } ?? value
        }
        self.headers = lowered
        self.query = Self.fields(query).reduce(into: [:]) { $0[$1.name] = $1.value }
        let contentType = lowered["content-type"] ?? ""
        if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            self.form = Self.fields(String(decoding: body, as: UTF8.self)).reduce(into: [:]) {
                $0[$1.name, default: []].append($1.value)
            }
        } else {
            self.form = [:]
        }
        self.peerIsLoopback = peerIsLoopback
    }

    /// A header field's value by name (any case).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The cookies the request carries.
    public var cookies: [String: String] {
        var cookies: [String: String] = [:]
        for part in (headers["cookie"] ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            cookies[pair[0].trimmingSpaces] = pair[1].trimmingSpaces
        }
        return cookies
    }

    /// Whether a proxy says it forwarded the request (`Forwarded`, `X-Forwarded-For`,
    /// `X-Real-IP`): its peer address is then the proxy's, not the client's.
    public var isForwarded: Bool {
        headers["forwarded"] != nil || headers["x-forwarded-for"] != nil || headers["x-real-ip"] != nil
    }

    /// The `name=value&…` pairs of a query string or form body, percent-decoded, `+` as space.
    public static func fields(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecoded(parts[0]), !name.isEmpty else { return nil }
            let value = parts.count > 1 ? percentDecoded(parts[1]) : ""
            guard let value else { return nil }
            return (name, value)
        }
    }

    /// `a%20b+c` → `a b c`; nil for a broken escape or bytes that are not UTF-8.
    public static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: String {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
