/// One `key = value` line of a config file, as written: the key is not checked against
/// ``ConfigKey`` and the value is not interpreted yet (quotes and comments are removed).
public struct ConfigEntry: Sendable, Equatable {
    /// The key as written, for example `max_queue_bytes`.
    public var key: String
    /// The value with surrounding whitespace, quotes, escapes and trailing comment removed.
    public var value: String
    /// The 1-based line number in the file.
    public var line: Int

    public init(key: String, value: String, line: Int) {
        self.key = key
        self.value = value
        self.line = line
    }
}
