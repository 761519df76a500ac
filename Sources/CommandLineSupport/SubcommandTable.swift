/// The verbs of a tool with subcommands (`eventbus inspect …`): each with its aliases and a
/// one-line summary, resolved to the verb's own name, and listed for `--help`.
public struct SubcommandTable: Sendable {
    /// One verb.
    public struct Entry: Sendable {
        /// The verb.
        public let name: String
        /// Other words that mean the same verb (kept for scripts written against an older name).
        public let aliases: [String]
        /// What it does, in one line.
        public let summary: String

        /// A verb, its aliases and its summary.
        public init(_ name: String, aliases: [String] = [], summary: String) {
            self.name = name
            self.aliases = aliases
            self.summary = summary
        }
    }

    /// The verbs listed in help, in order.
    public let entries: [Entry]
    /// Verbs a tool accepts without listing them (its own child processes).
    public let hidden: [String]

    /// A table of `entries`, plus `hidden` verbs that resolve to themselves.
    public init(_ entries: [Entry], hidden: [String] = []) {
        self.entries = entries
        self.hidden = hidden
    }

    /// The verb `word` names (itself, or the verb it is an alias of).
    /// - Throws: ``ArgumentError/unknownCommand(_:known:)`` listing the verbs.
    public func resolve(_ word: String) throws(ArgumentError) -> String {
        if hidden.contains(word) { return word }
        if let entry = entries.first(where: { $0.name == word || $0.aliases.contains(word) }) { return entry.name }
        throw .unknownCommand(word, known: entries.map(\.name))
    }

    /// One line per verb: its name padded to `width`, its summary, and its aliases.
    public func helpLines(width: Int = 14) -> [String] {
        entries.map { entry in
            let alias = entry.aliases.isEmpty ? "" : " (alias: \(entry.aliases.joined(separator: ", ")))"
            return "  " + entry.name + String(repeating: " ", count: max(1, width - entry.name.count)) + entry.summary
                + alias
        }
    }
}
