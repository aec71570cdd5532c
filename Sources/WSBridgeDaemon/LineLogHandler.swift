#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOConcurrencyHelpers
import WSBridgeCore
import WSBridgeJSON

/// A swift-log backend that writes one line per event to stderr, in logfmt or JSON, so journald keeps
/// each event as one entry. Fixed messages; variable data travels in metadata (`wsb.*` keys).
public struct LineLogHandler: LogHandler {
    public enum Format: String, Sendable {
        case logfmt
        case json
    }

    /// The level lives in a shared control so that a config reload changes it for every logger.
    public var logLevel: Logger.Level {
        get { self.level.level }
        set { self.level.level = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format: Format
    private let output: LineOutput
    private let level: LogLevelControl

    public init(label: String, level: LogLevelControl, format: Format, output: LineOutput = .standardError) {
        self.label = label
        self.level = level
        self.format = format
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let extra = event.metadata {
            merged.merge(extra) { _, new in new }
        }
        let line = LineFormatter.format(
            format: self.format, time: Date(), level: event.level, message: "\(event.message)", metadata: merged
        )
        self.output.write(line)
    }
}

/// Where log lines go: stderr, or a buffer in tests. Thread safe: one line is written whole.
public final class LineOutput: Sendable {
    private let sink: @Sendable (String) -> Void
    private let lock = NIOLock()

    public init(_ sink: @escaping @Sendable (String) -> Void) {
        self.sink = sink
    }

    public static let standardError = LineOutput { line in
        var line = line
        line.append("\n")
        line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(2, base + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }

    func write(_ line: String) {
        self.lock.withLock { self.sink(line) }
    }
}

/// `write(2)`; inside ``LineOutput`` the name `write` is its own method.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Renders one log event as one line of logfmt or JSON: `ts`, `level`, `msg`, then the metadata keys
/// in sorted order. Whatever a value holds (quotes, backslashes, newlines, control characters), the
/// result never spans two lines, so journald and log shippers keep each event whole.
///
/// logfmt: a value is written bare unless it is empty or holds a space, `=`, `"`, `\\`, a control
/// character or a line separator; then it is quoted as a JSON string is. JSON: one object. Both quote
/// with `JSONText.quoted(_:escapingAllControls:)`: `\"`, `\\`, `\n`, `\r`, `\t`, and `\uxxxx` for
/// every other control character and for U+2028 and U+2029.
public enum LineFormatter {
    public static func format(
        format: LineLogHandler.Format, time: Date, level: Logger.Level, message: String, metadata: Logger.Metadata
    ) -> String {
        let timestamp = self.timestamp(time)
        let entries = metadata.sorted { $0.key < $1.key }
        switch format {
        case .logfmt:
            var line = "ts=\(timestamp) level=\(level.rawValue) msg=\(self.logfmtValue(message))"
            for (key, value) in entries {
                line += " \(key)=\(self.logfmtValue("\(value)"))"
            }
            return line
        case .json:
            var line = "{\"ts\":\(self.jsonString(timestamp)),\"level\":\(self.jsonString(level.rawValue)),\"msg\":\(self.jsonString(message))"
            for (key, value) in entries {
                line += ",\(self.jsonString(key)):\(self.jsonValue(value))"
            }
            return line + "}"
        }
    }

    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == " " || scalar == "=" || scalar == "\"" || scalar == "\\" || JSONText.isControlOrLineBreak(scalar)
        }
        return needsQuotes ? JSONText.quoted(value, escapingAllControls: true) : value
    }

    /// A metadata value in JSON: a number or a boolean given as one (`.stringConvertible(42)`) is
    /// written as a JSON number or boolean, so that log pipelines can compare and sum it; anything
    /// else, ids that look like numbers included (`"wsb.user": "42"`), as a string.
    static func jsonValue(_ value: Logger.MetadataValue) -> String {
        if case .stringConvertible(let convertible) = value {
            switch convertible {
            case let flag as Bool: return flag ? "true" : "false"
            case let integer as any BinaryInteger: return "\(integer)"
            case let number as Double where number.isFinite: return "\(number)"
            default: break
            }
        }
        return self.jsonString("\(value)")
    }

    /// A JSON string; DEL, C1 controls, U+2028 and U+2029 are escaped too (JSON allows them raw, but
    /// some log viewers break lines at them).
    static func jsonString(_ value: String) -> String {
        JSONText.quoted(value, escapingAllControls: true)
    }

    private static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let date = "\(padded(Int(parts.tm_year) + 1900, 4))-\(padded(Int(parts.tm_mon) + 1, 2))-\(padded(Int(parts.tm_mday), 2))"
        let time = "\(padded(Int(parts.tm_hour), 2)):\(padded(Int(parts.tm_min), 2)):\(padded(Int(parts.tm_sec), 2))"
        return "\(date)T\(time).\(padded(millis, 3))Z"
    }

    /// `value` in decimal, zero-padded to `width` characters as `printf`'s `%0*d` writes it (a minus
    /// sign counts towards the width).
    static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)
        let sign = value < 0 ? "-" : ""
        return sign + String(repeating: "0", count: max(0, width - sign.count - digits.count)) + digits
    }
}

/// The log level shared by every logger of the process; changed on SIGHUP. Thread safe.
public final class LogLevelControl: Sendable {
    private let box: NIOLockedValueBox<Logger.Level>

    public init(_ level: Logger.Level) {
        self.box = NIOLockedValueBox(level)
    }

    public var level: Logger.Level {
        get { self.box.withLockedValue { $0 } }
        set { self.box.withLockedValue { $0 = newValue } }
    }
}
