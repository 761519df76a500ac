/// Why `eventbus dashboard` did not start.
enum DashboardToolError: Error, Equatable, CustomStringConvertible {
    /// This `eventbus` was built without the trait `DashboardSupport`.
    case builtWithoutTrait

    var description: String {
        switch self {
        case .builtWithoutTrait:
            "this eventbus was built without the DashboardSupport trait: swift build --traits DashboardSupport"
        }
    }
}
