import NIOCore

/// A token bucket for one connection's messages (`max_client_messages_per_second`): it holds one
/// second's worth, refills at the rate, and a message takes one token. So a client may send a burst of
/// up to `perSecond` messages at once, and keep up `perSecond` on average, but not more. Pure: the
/// caller passes the time, and the rate (its connection's settings hold it; the bucket does not keep
/// a copy).
struct MessageRateLimiter {
    private var tokens: Double = 0
    private var last = NIODeadline.uptimeNanoseconds(0)

    /// A full bucket at `now`: what a new connection starts with.
    mutating func fill(perSecond: Int, now: NIODeadline) {
        self.tokens = Double(perSecond)
        self.last = now
    }

    /// Takes a token for one message at `now`; false when there is none left.
    mutating func admit(perSecond: Int, now: NIODeadline) -> Bool {
        let rate = Double(perSecond)
        let elapsed = Double(max(0, (now - self.last).nanoseconds)) / 1e9
        self.tokens = min(rate, self.tokens + elapsed * rate)
        self.last = now
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }
}
