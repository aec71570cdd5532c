/// How log records are written to standard error (`log_format`).
public enum LogFormat: String, CaseIterable, Sendable {
    /// `key=value` pairs on one line, for people and journald.
    case logfmt
    /// One JSON object per line, for log shippers.
    case json
}
