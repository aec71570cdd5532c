/// Builds a validated ``WSBridgeConfiguration`` from the defaults, an optional config file and
/// command-line overrides, in that order (flags win), then applies the rules that span several
/// keys and reads the files the configuration names (JWT secret and public key).
///
/// The same code serves `wsbridge serve`, SIGHUP reloads and `wsbridge check-config`;
/// ``validateFile(path:)`` reports every error rather than the first.
public enum ConfigLoader {
    /// One command-line flag's value: `--max-queue-bytes 2MiB` is `(.maxQueueBytes, "2MiB")`.
    /// The value is taken as is (no quotes or comments are interpreted).
    public typealias Override = (key: ConfigKey, value: String)

    /// Loads `file` (if any) over the defaults, then `overrides`, and validates the result.
    /// Throws the first error in ``validateFile(path:)`` order.
    public static func load(file: String?, overrides: [Override] = []) throws(ConfigError) -> WSBridgeConfiguration {
        let (configuration, errors) = evaluate(file: file, overrides: overrides)
        if let first = errors.first {
            throw first
        }
        return configuration
    }

    /// Like ``load(file:overrides:)`` with the file's text given directly; `source` names it in errors.
    public static func load(text: String, source: String, overrides: [Override] = []) throws(ConfigError) -> WSBridgeConfiguration {
        let (configuration, errors) = evaluate(text: text, source: source, overrides: overrides)
        if let first = errors.first {
            throw first
        }
        return configuration
    }

    /// Every error of `file` and `overrides`, sorted: the file's by line, then the command
    /// line's. Empty when ``load(file:overrides:)`` would succeed.
    public static func validate(file: String?, overrides: [Override] = []) -> [ConfigError] {
        evaluate(file: file, overrides: overrides).errors
    }

    /// Every error of the config file at `path`, with its line, for `wsbridge check-config`.
    public static func validateFile(path: String) -> [ConfigError] {
        validate(file: path)
    }

    /// Splits config text into entries without interpreting keys or values; throws the first
    /// syntax error (a line without `=`, an empty key, a bad quote) or duplicate key.
    public static func parse(text: String, source: String) throws(ConfigError) -> [ConfigEntry] {
        let result = ConfigFileParser.parse(text: text, source: source)
        if let first = result.errors.first {
            throw first
        }
        return result.entries
    }

    // MARK: - Evaluation

    static func evaluate(file: String?, overrides: [Override]) -> (configuration: WSBridgeConfiguration, errors: [ConfigError]) {
        guard let file else {
            return evaluate(text: nil, source: ConfigError.commandLine, overrides: overrides)
        }
        do {
            let text = try readText(path: file)
            return evaluate(text: text, source: file, overrides: overrides)
        } catch {
            return (WSBridgeConfiguration(), [error])
        }
    }

    static func evaluate(text: String?, source: String, overrides: [Override]) -> (configuration: WSBridgeConfiguration, errors: [ConfigError]) {
        var draft = ConfigDraft(fallbackOrigin: ConfigError.Origin(source: source, line: nil))
        var errors: [ConfigError] = []
        if let text {
            let parsed = ConfigFileParser.parse(text: text, source: source)
            errors += parsed.errors
            for entry in parsed.entries {
                guard let key = ConfigKey(rawValue: entry.key) else {
                    errors.append(unknownKey(entry, source: source))
                    continue
                }
                if let error = draft.set(key, to: entry.value, from: .init(source: source, line: entry.line)) {
                    errors.append(error)
                }
            }
        }
        for override in overrides {
            if let error = draft.set(override.key, to: override.value, from: .commandLine) {
                errors.append(error)
            }
        }
        errors += draft.finish()
        return (draft.configuration, ConfigError.sortedForReport(errors))
    }

    private static func unknownKey(_ entry: ConfigEntry, source: String) -> ConfigError {
        var message = "unknown key \(ConfigValue.quoted(entry.key))"
        if let reason = ConfigKey.unsupportedReason(for: entry.key) {
            message += ": \(reason)"
        } else if let suggestion = ConfigKey.suggestion(for: entry.key) {
            message += " (did you mean \"\(suggestion.rawValue)\"?)"
        }
        return ConfigError(source: source, line: entry.line, message: message)
    }

    /// The file's text; invalid UTF-8 is reported with the line it is on.
    private static func readText(path: String) throws(ConfigError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.bytes(atPath: path)
        } catch {
            throw ConfigError(source: path, message: "cannot read \(path): \(error.reason)")
        }
        if let text = String(validating: bytes, as: UTF8.self) {
            return text
        }
        var line = 1
        for lineBytes in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if String(validating: lineBytes, as: UTF8.self) == nil {
                break
            }
            line += 1
        }
        throw ConfigError(source: path, line: line, message: "not valid UTF-8 text")
    }
}
