/// Turns config file text into ``ConfigEntry`` values: lines, comments, quoting and duplicate
/// keys. Keys are not checked against ``ConfigKey`` and values are not interpreted here.
///
/// Syntax of one line (blank lines and lines starting with `#` are skipped):
///
///     key = bare value        # comment (a `#` that starts the value or follows a space or tab)
///     key = "quoted # value"  # comment (`\"` and `\\` are the only escapes)
enum ConfigFileParser {
    struct Result {
        /// The entries in file order; a duplicated key keeps its first entry only.
        var entries: [ConfigEntry]
        /// Every syntax error and duplicate, in line order.
        var errors: [ConfigError]
    }

    /// Parses all of `text`, collecting every error rather than stopping at the first.
    static func parse(text: String, source: String) -> Result {
        var result = Result(entries: [], errors: [])
        var firstLine: [String: Int] = [:]
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if lineNumber == 1, line.hasPrefix("\u{FEFF}") {
                line = line.dropFirst()
            }
            if line.utf8.last == UInt8(ascii: "\r") {
                line = Substring(line.utf8.dropLast())
            }
            let parsed: (key: String, value: String)?
            do {
                parsed = try parseLine(line)
            } catch {
                result.errors.append(
                    ConfigError(source: source, line: lineNumber, key: error.key, message: error.message))
                continue
            }
            guard let (key, value) = parsed else {
                continue
            }
            if let first = firstLine[key] {
                result.errors.append(
                    ConfigError(
                        source: source, line: lineNumber, key: key,
                        message: "given twice, first on line \(first)"))
                continue
            }
            firstLine[key] = lineNumber
            result.entries.append(ConfigEntry(key: key, value: value, line: lineNumber))
        }
        return result
    }

    /// A syntax error on one line; `key` is set once the key has been read.
    struct LineError: Error {
        var key: String?
        var message: String
    }

    /// The key and value of one line, or `nil` for a blank or comment line.
    static func parseLine(_ line: Substring) throws(LineError) -> (key: String, value: String)? {
        let content = ConfigValue.trimmed(line)
        if content.isEmpty || content.hasPrefix("#") {
            return nil
        }
        guard let equals = content.firstIndex(of: "=") else {
            throw LineError(message: "expected \"key = value\", but this line has no \"=\"")
        }
        let key = ConfigValue.trimmed(content[..<equals])
        guard !key.isEmpty else {
            throw LineError(message: "expected \"key = value\", but the key before \"=\" is missing")
        }
        let rest = content[content.index(after: equals)...].drop { $0 == " " || $0 == "\t" }
        do {
            let value = rest.hasPrefix("\"") ? try quotedValue(rest) : bareValue(rest)
            return (key, value)
        } catch {
            throw LineError(key: key, message: error.message)
        }
    }

    /// Everything up to a `#` at the start or after a space or tab, trimmed.
    private static func bareValue(_ text: Substring) -> String {
        var previousIsBlank = true
        for index in text.indices {
            let character = text[index]
            if character == "#", previousIsBlank {
                return ConfigValue.trimmed(text[..<index])
            }
            previousIsBlank = character == " " || character == "\t"
        }
        return ConfigValue.trimmed(text)
    }

    /// The content of `"..."` with escapes resolved; only a comment may follow the closing quote.
    private static func quotedValue(_ text: Substring) throws(ConfigValueError) -> String {
        var value = ""
        var index = text.index(after: text.startIndex)
        while index != text.endIndex {
            let character = text[index]
            index = text.index(after: index)
            switch character {
            case "\"":
                let after = ConfigValue.trimmed(text[index...])
                guard after.isEmpty || after.hasPrefix("#") else {
                    throw ConfigValueError("unexpected text after the closing quote; put a comment after \" #\"")
                }
                return value
            case "\\":
                guard index != text.endIndex, text[index] == "\"" || text[index] == "\\" else {
                    let escaped = index == text.endIndex ? "" : String(text[index])
                    throw ConfigValueError("unsupported escape \"\\\(escaped)\" in a quoted value; only \\\" and \\\\ are escapes")
                }
                value.append(text[index])
                index = text.index(after: index)
            default:
                value.append(character)
            }
        }
        throw ConfigValueError("unterminated quoted value: the closing \" is missing")
    }
}
