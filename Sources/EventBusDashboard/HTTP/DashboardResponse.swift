/// The dashboard's answer, for the adapter to send as it is.
public struct DashboardResponse: Sendable, Hashable {
    /// The HTTP status.
    public var status: Int
    /// Header fields by name (`Content-Type`, `Set-Cookie`, `Location`, the security headers).
    public var headers: [String: String]
    /// The body.
    public var body: [UInt8]

    /// A response.
    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// What every answer carries: nothing from another origin may load or frame it, the browser
    /// never guesses a type, nothing is cached (the numbers and names change, and can carry
    /// personal data), and the referrer stays on this origin.
    public static let securityHeaders: [String: String] = [
        "Content-Security-Policy":
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    ]
}
