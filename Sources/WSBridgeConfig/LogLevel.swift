/// The least severe log level that is written (`log_level`).
///
/// Mirrors swift-log's `Logger.Level` by name, so this module needs no logging dependency.
public enum LogLevel: String, CaseIterable, Sendable {
    case trace
    case debug
    case info
    case notice
    case warning
    case error
    case critical
}
