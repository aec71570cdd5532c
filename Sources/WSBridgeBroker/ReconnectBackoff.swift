import NIOCore

/// The delay before each reconnection attempt: the first retry is immediate, later ones wait a capped,
/// exponentially growing time with full jitter, and a successful link starts over.
///
/// ```
///  failures since the last link:  0     1        2         3         …   n
///  delay:                         0   [0,50ms] [0,100ms] [0,200ms]   …  [0, min(cap, 50ms·2^(n-1))]
/// ```
///
/// A dropped subscription therefore comes back at once, while a server that stays away (or keeps refusing
/// `AUTH`) is asked at most about once per `cap` on average, never in a tight loop. Full jitter spreads the
/// reconnections of many hosts after a Redis restart.
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
        jitter: @escaping (TimeAmount) -> TimeAmount = ReconnectBackoff.fullJitter
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

    /// A uniformly random delay in `0...ceiling`.
    static func fullJitter(_ ceiling: TimeAmount) -> TimeAmount {
        guard ceiling.nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...ceiling.nanoseconds))
    }
}
