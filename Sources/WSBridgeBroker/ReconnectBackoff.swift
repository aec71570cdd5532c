import NIOCore

/// The delay before each reconnection attempt: the first retry is immediate, later ones wait a capped,
/// growing time with "equal jitter" (between half the ceiling and the ceiling), and a successful link
/// starts over.
///
/// ```
///  failures since the last link:  0       1             2              …   n
///  delay:                         0   [25,50ms]    [50,100ms]          …  [c/2, c], c = min(cap, 50ms·2^(n-1))
/// ```
///
/// A dropped subscription therefore comes back at once, and a server that stays away is asked again
/// every `cap/2` to `cap` (250 ms by default): never in a tight loop, never seconds after it is back. The
/// jitter spreads the reconnections of many hosts after a Redis restart.
struct ReconnectBackoff {
    /// The ceiling of the first delayed retry.
    let base: TimeAmount
    /// The largest ceiling (the broker's `reconnectMax`).
    let cap: TimeAmount
    /// Picks the actual delay in `0...ceiling`; replaceable for tests.
    let jitter: (TimeAmount) -> TimeAmount

    /// Failed attempts since the last successful link.
    private(set) var failures = 0

    init(
        base: TimeAmount = .milliseconds(50),
        cap: TimeAmount,
        jitter: @escaping (TimeAmount) -> TimeAmount = ReconnectBackoff.equalJitter
    ) {
        self.base = base
        self.cap = max(cap, .zero)
        self.jitter = jitter
    }

    /// The delay before the next attempt; counts one more failure.
    mutating func nextDelay() -> TimeAmount {
        defer { self.failures += 1 }
        guard self.failures > 0 else { return .zero }
        return self.jitter(self.ceiling(afterFailures: self.failures))
    }

    /// Forgets past failures: called once a connection is linked.
    mutating func reset() {
        self.failures = 0
    }

    /// `min(cap, base · 2^(failures-1))`, without overflowing.
    func ceiling(afterFailures failures: Int) -> TimeAmount {
        let doublings = min(max(failures - 1, 0), 32)
        let (scaled, overflow) = self.base.nanoseconds.multipliedReportingOverflow(by: Int64(1) << doublings)
        return overflow ? self.cap : min(self.cap, .nanoseconds(scaled))
    }

    /// A uniformly random delay in `ceiling/2...ceiling`.
    static func equalJitter(_ ceiling: TimeAmount) -> TimeAmount {
        guard ceiling.nanoseconds > 1 else { return ceiling }
        let half = ceiling.nanoseconds / 2
        return .nanoseconds(half + Int64.random(in: 0...(ceiling.nanoseconds - half)))
    }
}
