/// Why a value could not be used. The caller adds the source, line and key.
struct ConfigValueError: Error, Equatable {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    /// `expected WHAT, got "TEXT"`, the common shape of a type error.
    static func expected(_ what: String, got text: String) -> ConfigValueError {
        ConfigValueError("expected \(what), got \(ConfigValue.quoted(text))")
    }
}

/// Readers for the value types of the config file: durations, sizes, integers, booleans, lists
/// and one-of-several words. Each takes the value text as written (already unquoted) and
/// accepts nothing but the documented spellings.
enum ConfigValue {
    static let durationExample = "a duration such as 25s or 500ms"
    static let sizeExample = "a size such as 1MiB"

    /// `<digits><unit>` with unit `ms`, `s`, `m` or `h`; a bare `0` is also accepted.
    static func duration(_ text: String) throws(ConfigValueError) -> Duration {
        let (digits, unit) = splitNumber(text)
        guard let number = decimal(digits) else {
            throw .expected(durationExample, got: text)
        }
        let millisecondsPerUnit: Int64
        switch unit {
        case "ms": millisecondsPerUnit = 1
        case "s": millisecondsPerUnit = 1_000
        case "m": millisecondsPerUnit = 60_000
        case "h": millisecondsPerUnit = 3_600_000
        case "" where number == 0: millisecondsPerUnit = 1
        default: throw .expected(durationExample, got: text)
        }
        let (milliseconds, overflow) = Int64(number).multipliedReportingOverflow(by: millisecondsPerUnit)
        guard !overflow else {
            throw ConfigValueError("duration \(quoted(text)) is too long")
        }
        return .milliseconds(milliseconds)
    }

    /// `<digits>[unit]` with unit `B`, `KiB`/`K`/`KB`, `MiB`/`M`/`MB` or `GiB`/`G`/`GB`, all
    /// binary (1K = 1024 bytes), case-insensitive; no unit means bytes.
    static func size(_ text: String) throws(ConfigValueError) -> Int {
        let (digits, unit) = splitNumber(text)
        guard let number = decimal(digits) else {
            throw .expected(sizeExample, got: text)
        }
        let multiplier: Int
        switch unit.lowercased() {
        case "", "b": multiplier = 1
        case "k", "kb", "kib": multiplier = 1 << 10
        case "m", "mb", "mib": multiplier = 1 << 20
        case "g", "gb", "gib": multiplier = 1 << 30
        default: throw .expected(sizeExample, got: text)
        }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: multiplier)
        guard !overflow else {
            throw ConfigValueError("size \(quoted(text)) is too large")
        }
        return bytes
    }

    /// A non-negative decimal integer, digits only.
    static func integer(_ text: String) throws(ConfigValueError) -> Int {
        guard let number = decimal(Substring(text)) else {
            throw .expected("a whole number such as 100", got: text)
        }
        return number
    }

    /// An octal file mode of 3 or 4 digits (`0660`, `660`), at most `0777`.
    static func fileMode(_ text: String) throws(ConfigValueError) -> Int {
        let isOctal = text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) }
        guard (3...4).contains(text.utf8.count), isOctal, let mode = Int(text, radix: 8) else {
            throw .expected("an octal file mode such as 0660", got: text)
        }
        guard mode <= 0o777 else {
            throw ConfigValueError("must be at most 0777 (no setuid, setgid or sticky bit), got \(quoted(text))")
        }
        return mode
    }

    /// `true`/`false`, `yes`/`no` or `on`/`off`, case-insensitive.
    static func boolean(_ text: String) throws(ConfigValueError) -> Bool {
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw .expected("true or false (or yes/no, on/off)", got: text)
        }
    }

    /// Comma-separated entries, each trimmed of spaces and tabs. Empty entries are errors.
    static func list(_ text: String) throws(ConfigValueError) -> [String] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map { trimmed($0) }
        guard !entries.contains(where: \.isEmpty) else {
            throw .expected("a comma-separated list without empty entries", got: text)
        }
        return entries
    }

    /// One of the raw values of `T`, exactly as written (lower case).
    static func choice<T: RawRepresentable & CaseIterable>(_ text: String, of type: T.Type) throws(ConfigValueError) -> T
    where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            let names = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw .expected("one of \(names)", got: text)
        }
        return value
    }

    /// The shortest exact spelling of `duration` in the config syntax (`90s`, `2m`, `500ms`).
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
        if milliseconds != 0, milliseconds % 3_600_000 == 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds != 0, milliseconds % 60_000 == 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1_000 == 0 { return "\(milliseconds / 1_000)s" }
        return "\(milliseconds)ms"
    }

    /// The shortest exact spelling of a byte count in the config syntax (`64KiB`, `125`).
    static func format(bytes: Int) -> String {
        for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)] where bytes != 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(unit)"
        }
        return "\(bytes)"
    }

    /// A file mode as four octal digits (`0660`).
    static func format(fileMode mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// `text` in double quotes with escapes, shortened if long, for error messages.
    static func quoted(_ text: String) -> String {
        let limit = 80
        if text.count > limit {
            return String(text.prefix(limit)).debugDescription + "..."
        }
        return text.debugDescription
    }

    /// `text` without leading and trailing spaces and tabs.
    static func trimmed<S: StringProtocol>(_ text: S) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }),
            let last = text.lastIndex(where: { !isBlank($0) })
        else {
            return ""
        }
        return String(text[first...last])
    }

    /// Splits `12KiB` into `12` and `KiB`.
    private static func splitNumber(_ text: String) -> (Substring, Substring) {
        let end = text.firstIndex { !$0.isASCII || !$0.isNumber } ?? text.endIndex
        return (text[..<end], text[end...])
    }

    /// The value of a non-empty run of ASCII digits, or `nil` (also on overflow).
    private static func decimal(_ digits: Substring) -> Int? {
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return nil
        }
        return Int(digits)
    }
}
