import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Decides whether a repeating problem is logged now: at most once per interval, with the number of
/// occurrences suppressed since the last line. Thread safe.
///
/// Used for everything that a misbehaving peer can repeat at will: invalid messages on the channel,
/// refused handshakes, slow consumers, app protocol errors, refused app peers.
public final class RateLimitedLog: Sendable {
    private struct State {
        var lastLogged: NIODeadline?
        var suppressed = 0
    }

    private let interval: TimeAmount
    private let state = NIOLockedValueBox(State())

    /// The interval the daemon uses for every repeating problem.
    public static let defaultInterval = TimeAmount.seconds(10)

    public init(interval: TimeAmount = RateLimitedLog.defaultInterval) {
        self.interval = interval
    }

    /// Returns the number suppressed since the last logged line if this occurrence should be logged,
    /// or nil if it should be suppressed (and counts it).
    public func shouldLog(now: NIODeadline) -> Int? {
        self.state.withLockedValue { state in
            if let last = state.lastLogged, now - last < self.interval {
                state.suppressed += 1
                return nil
            }
            let suppressed = state.suppressed
            state.lastLogged = now
            state.suppressed = 0
            return suppressed
        }
    }

    /// Logs one occurrence: at `level` with `wsb.suppressed` (how many were not logged at `level`
    /// since the previous line) if the interval allows, else at `debug`, so that `log_level = debug`
    /// still shows every occurrence.
    public func log(
        _ message: @autoclosure () -> Logger.Message,
        level: Logger.Level,
        metadata: @autoclosure () -> Logger.Metadata,
        to logger: Logger,
        now: NIODeadline = .now(),
        file: String = #fileID, function: String = #function, line: UInt = #line
    ) {
        if let suppressed = self.shouldLog(now: now) {
            var metadata = metadata()
            metadata["wsb.suppressed"] = .stringConvertible(suppressed)
            logger.log(level: level, message(), metadata: metadata, file: file, function: function, line: line)
        } else {
            logger.log(level: .debug, message(), metadata: metadata(), file: file, function: function, line: line)
        }
    }
}
