import NIOConcurrencyHelpers
import NIOCore

/// Decides whether a repeating problem is logged now: at most once per interval, with the number of
/// occurrences suppressed since the last line. Thread safe.
public final class RateLimitedLog: Sendable {
    private struct State {
        var lastLogged: NIODeadline?
        var suppressed = 0
    }

    private let interval: TimeAmount
    private let state = NIOLockedValueBox(State())

    public init(interval: TimeAmount) {
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
}
