/// A problem with the configuration, located precisely enough to fix it.
///
/// Rendered as `SOURCE:LINE: KEY: MESSAGE`, for example
/// `/etc/wsbridge/wsbridge.conf:12: max_queue_bytes: expected a size such as 1MiB, got "lots"`.
/// For values from the command line the source is ``ConfigError/commandLine`` and the key is shown
/// as its flag: `command line: --listen: expected HOST:PORT, got "x"`. Parts that are `nil` are
/// left out; an error with neither line nor key (a file that cannot be read) is its message alone.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The ``source`` of every error about a command-line flag.
    public static let commandLine = "command line"

    /// The config file's path as given, or ``ConfigError/commandLine``.
    public var source: String
    /// The 1-based line in ``source``, when the error belongs to one line.
    public var line: Int?
    /// The config key (file spelling, such as `max_queue_bytes`) the error is about, if any.
    public var key: String?
    /// What is wrong, in words; never contains a secret.
    public var message: String

    public init(source: String, line: Int? = nil, key: String? = nil, message: String) {
        self.source = source
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var location = source
        if let line {
            location += ":\(line)"
        }
        if let key {
            let shownKey: String
            if source == Self.commandLine {
                shownKey = ConfigKey(rawValue: key)?.flagName ?? key
            } else {
                shownKey = key
            }
            return "\(location): \(shownKey): \(message)"
        }
        if line != nil {
            return "\(location): \(message)"
        }
        return message
    }
}

extension ConfigError {
    /// Where one value came from, so that errors found later (cross-field rules, unreadable files)
    /// can point at the line or flag that set it.
    struct Origin: Sendable, Equatable {
        var source: String
        var line: Int?

        static let commandLine = Origin(source: ConfigError.commandLine, line: nil)

        func error(_ key: ConfigKey, _ message: String) -> ConfigError {
            ConfigError(source: source, line: line, key: key.rawValue, message: message)
        }
    }

    /// Orders errors as `wsbridge check-config` prints them: the file's errors by line, then the
    /// command line's. The sort is stable, so errors of one line keep the order they were found in.
    static func sortedForReport(_ errors: [ConfigError]) -> [ConfigError] {
        errors.enumerated().sorted { left, right in
            let leftKey = left.element.sortKey
            let rightKey = right.element.sortKey
            if leftKey.rank != rightKey.rank { return leftKey.rank < rightKey.rank }
            if leftKey.line != rightKey.line { return leftKey.line < rightKey.line }
            return left.offset < right.offset
        }.map(\.element)
    }

    private var sortKey: (rank: Int, line: Int) {
        (source == Self.commandLine ? 1 : 0, line ?? Int.max)
    }
}
