/// One option a command accepts: a flag (`--quick`) or an option with a value (`--dir PATH`).
public struct OptionSpec: Sendable {
    /// The name with its dashes: `--dir`.
    public let name: String
    /// What the value is called in help (`PATH`), or nil for a flag without a value.
    public let valueName: String?
    /// One line of help.
    public let help: String

    /// Creates an option.
    public init(_ name: String, value valueName: String? = nil, help: String) {
        self.name = name
        self.valueName = valueName
        self.help = help
    }
}

/// A command's flags and positional arguments, parsed by hand (no argument-parser package).
public struct CommandSpec: Sendable {
    /// The command as typed: `eventbus verify`.
    public let name: String
    /// What it does, in one line.
    public let summary: String
    /// Names of positional arguments, in order (`DIR`). A last name ending in `...` (`DIR...`)
    /// takes any number of arguments, none included.
    public let positionals: [String]
    /// The options it accepts (`--help` is always accepted).
    public let options: [OptionSpec]

    /// Creates a command.
    public init(name: String, summary: String, positionals: [String] = [], options: [OptionSpec] = []) {
        self.name = name
        self.summary = summary
        self.positionals = positionals
        self.options = options
    }

    /// The `--help` text.
    public var help: String {
        var lines = ["\(name) — \(summary)", ""]
        let usage = ([name] + positionals + (options.isEmpty ? [] : ["[options]"])).joined(separator: " ")
        lines.append("usage: \(usage)")
        lines.append("")
        lines.append("options:")
        let all = options + [OptionSpec("--help", help: "show this help")]
        let width = all.map { label($0).count }.max() ?? 0
        for option in all {
            let text = label(option)
            lines.append("  " + text + String(repeating: " ", count: width - text.count + 2) + option.help)
        }
        return lines.joined(separator: "\n")
    }

    private func label(_ option: OptionSpec) -> String {
        option.valueName.map { "\(option.name) \($0)" } ?? option.name
    }

    /// Parses arguments (without the program and command names).
    /// - Throws: ``ArgumentError``; ``ArgumentError/helpRequested`` for `--help` or `-h`.
    public func parse(_ arguments: [String]) throws(ArgumentError) -> ParsedArguments {
        let repeats = positionals.last?.hasSuffix("...") == true
        var parsed = ParsedArguments()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { throw .helpRequested(help) }
            guard argument.hasPrefix("-"), argument != "-" else {
                guard parsed.positionals.count < positionals.count || repeats else {
                    throw .unexpectedArgument(argument, command: name)
                }
                parsed.positionals.append(argument)
                continue
            }
            var flag = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                flag = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            guard let option = options.first(where: { $0.name == flag }) else {
                throw .unknownOption(flag, command: name, known: options.map(\.name))
            }
            if option.valueName == nil {
                guard inlineValue == nil else { throw .unexpectedValue(flag) }
                parsed.flags.insert(flag)
            } else if let inlineValue {
                parsed.values[flag] = inlineValue
            } else {
                guard index < arguments.count, !arguments[index].hasPrefix("--") else { throw .missingValue(flag) }
                parsed.values[flag] = arguments[index]
                index += 1
            }
        }
        guard parsed.positionals.count >= positionals.count - (repeats ? 1 : 0) else {
            throw .missingArgument(positionals[parsed.positionals.count], command: name)
        }
        return parsed
    }
}

/// The result of ``CommandSpec/parse(_:)``.
public struct ParsedArguments: Sendable, Equatable {
    /// Positional arguments in order.
    public var positionals: [String] = []
    /// Options given with values.
    public var values: [String: String] = [:]
    /// Flags given.
    public var flags: Set<String> = []

    /// Creates an empty result.
    public init() {}

    /// Whether a flag was given.
    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// An option's value, if given.
    public func value(_ option: String) -> String? { values[option] }

    /// An option's value as a whole number in `range`, or `default` when not given.
    /// - Throws: ``ArgumentError/invalidValue(_:value:expected:)``.
    public func int(
        _ option: String,
        default fallback: Int,
        in range: ClosedRange<Int> = 0...Int.max
    )
        throws(ArgumentError) -> Int
    {
        guard let text = values[option] else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            throw .invalidValue(
                option,
                value: text,
                expected: "a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return number
    }
}

/// Why arguments were refused. Its description is the message to print.
public enum ArgumentError: Error, Equatable, CustomStringConvertible {
    /// `--help` was given: print the text and exit 0.
    case helpRequested(String)
    /// An option the command does not know.
    case unknownOption(String, command: String, known: [String])
    /// An option that needs a value came last or before another option.
    case missingValue(String)
    /// A flag was given a value (`--quick=yes`).
    case unexpectedValue(String)
    /// A value that does not fit.
    case invalidValue(String, value: String, expected: String)
    /// A required positional argument is missing.
    case missingArgument(String, command: String)
    /// More positional arguments than the command takes.
    case unexpectedArgument(String, command: String)
    /// The subcommand is not known.
    case unknownCommand(String, known: [String])

    /// The message for people.
    public var description: String {
        switch self {
        case .helpRequested(let text):
            text
        case .unknownOption(let option, let command, let known):
            "\(command): unknown option \(option)"
                + (known.isEmpty ? "" : " (known: \(known.joined(separator: ", ")))") + "; see --help"
        case .missingValue(let option):
            "option \(option) needs a value; see --help"
        case .unexpectedValue(let option):
            "option \(option) takes no value; see --help"
        case .invalidValue(let option, let value, let expected):
            "option \(option): \"\(value)\" is not \(expected)"
        case .missingArgument(let name, let command):
            "\(command): missing \(name); see --help"
        case .unexpectedArgument(let argument, let command):
            "\(command): unexpected argument \"\(argument)\"; see --help"
        case .unknownCommand(let command, let known):
            "unknown command \"\(command)\" (known: \(known.joined(separator: ", "))); see --help"
        }
    }

    /// The process exit status for this error: 0 for help, 64 (usage) otherwise.
    public var exitCode: Int32 {
        if case .helpRequested = self { return 0 }
        return 64
    }
}
