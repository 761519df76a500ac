/// The dashboard's checks as plain functions, so that every adapter gets them and tests call
/// them directly: who may read without an authorization check, whether a POST comes from the
/// dashboard's own page, and whether its token is right.
public enum DashboardGuard: Sendable {
    /// What a request may do when the application supplies no authorization check: read, when
    /// it comes from a loopback address and no proxy says it forwarded it; nothing otherwise.
    /// Never act.
    public static func accessWithoutCheck(_ request: DashboardRequest) -> DashboardAccess {
        request.peerIsLoopback && !request.isForwarded ? .read : .none
    }

    /// Whether a request comes from a page of the same origin as the dashboard.
    ///
    /// The `Origin` field (browsers send it with every POST) must name the host the request was
    /// sent to (`Host`), or be one of `trustedOrigins` — for a dashboard behind a proxy that
    /// rewrites `Host`, the public origin, `https://ops.example.com`. Without `Origin`,
    /// `Sec-Fetch-Site: same-origin` or a `Referer` on the same host will do; without any of
    /// them, or with `Origin: null`, it does not.
    public static func isSameOrigin(_ request: DashboardRequest, trustedOrigins: Set<String> = []) -> Bool {
        let host = request.header("host")?.lowercased()
        if let origin = request.header("origin") {
            let normalized = origin.lowercased().trimmingSuffix("/")
            if trustedOrigins.contains(where: { $0.lowercased().trimmingSuffix("/") == normalized }) { return true }
            guard normalized != "null", let host else { return false }
            return authority(of: normalized) == host
        }
        if let site = request.header("sec-fetch-site") { return site.lowercased() == "same-origin" }
        if let referer = request.header("referer"), let host {
            let origin = referer.lowercased()
            if trustedOrigins.contains(where: { origin.hasPrefix($0.lowercased().trimmingSuffix("/") + "/") }) {
                return true
            }
            return authority(of: origin) == host
        }
        return false
    }

    /// Compares a token from a request with the expected one in time that does not depend on
    /// where they differ.
    public static func tokensMatch(_ given: String?, _ expected: String) -> Bool {
        guard let given, !expected.isEmpty else { return false }
        let lhs = Array(given.utf8)
        let rhs = Array(expected.utf8)
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<rhs.count { difference |= (index < lhs.count ? lhs[index] : 0) ^ rhs[index] }
        return difference == 0
    }

    /// The verdict on an action request, in the order the checks run.
    public enum Verdict: Sendable, Hashable {
        /// Every check passed.
        case allowed
        /// Not a POST (405).
        case notPost
        /// The requester may not act (403): no authorization check allows it.
        case notAuthorized
        /// The request does not come from the dashboard's own origin (403).
        case crossOrigin
        /// The form's `csrf` field is missing or wrong (403).
        case badToken

        /// The HTTP status of a refusal (200 when allowed).
        public var status: Int {
            switch self {
            case .allowed: 200
            case .notPost: 405
            case .notAuthorized, .crossOrigin, .badToken: 403
            }
        }

        /// Why, for the operator.
        public var message: String {
            switch self {
            case .allowed: "allowed"
            case .notPost: "actions are POST requests"
            case .notAuthorized:
                "not allowed: the dashboard is read-only unless the application's authorization check allows actions"
            case .crossOrigin: "refused: the request does not come from the dashboard's own page (Origin)"
            case .badToken: "refused: the form's token is missing or wrong (reload the page)"
            }
        }
    }

    /// Checks an action request: a POST, by a requester who may act, from the same origin, with
    /// the right CSRF token in its form's `csrf` field.
    public static func check(
        action request: DashboardRequest,
        access: DashboardAccess,
        csrfToken: String,
        trustedOrigins: Set<String> = []
    ) -> Verdict {
        guard request.method == "POST" else { return .notPost }
        guard access >= .act else { return .notAuthorized }
        guard isSameOrigin(request, trustedOrigins: trustedOrigins) else { return .crossOrigin }
        guard request.form["csrf"]?.count == 1, tokensMatch(request.form["csrf"]?.first, csrfToken) else {
            return .badToken
        }
        return .allowed
    }

    /// `http://host:port/path` → `host:port`.
    static func authority(of url: String) -> String? {
        guard let scheme = url.firstRange(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        return String(rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" })
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
