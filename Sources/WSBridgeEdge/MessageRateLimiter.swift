import NIOCore

/// A token bucket for one connection's messages (`max_client_messages_per_second`): it holds one
/// second's worth, refills at the rate, and a message takes one token. So a client may send a burst of
/// up to `perSecond` messages at once, and keep up `perSecond` on average, but not more. Pure: the
/// caller passes the time.
struct MessageRateLimiter {
    private let perSecond: Double
    private var tokens: Double
    private var last: NIODeadline

    init(perSecond: Int, now: NIODeadline) {
        self.perSecond = Double(perSecond)
        self.tokens = Double(perSecond)
        self.last = now
    }

    /// Takes a token for one message at `now`; false when there is none left.
    mutating func admit(now: NIODeadline) -> Bool {
        let elapsed = Double(max(0, (now - self.last).nanoseconds)) / 1e9
        self.tokens = min(self.perSecond, self.tokens + elapsed * self.perSecond)
        self.last = now
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }
}
