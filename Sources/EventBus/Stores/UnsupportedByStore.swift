/// What a store that does not do what was asked (a store written for a test) throws.
struct UnsupportedByStore: Error, CustomStringConvertible {
    /// What it was asked.
    let operation: String
    var description: String { "the store does not support \(operation)" }
}
