import Logging
import NIOCore

/// What each connection of ``RedisBroker`` (the subscriber's and the publisher's) is made with, built
/// once by the broker: where Redis is, the event loop both run on, how long an attempt may take, the
/// health check's interval, the reconnect backoff (each connection gets its own copy), how often a
/// repeated failure is summarised in the log, and the logger.
struct RedisConnectionSettings {
    var target: RedisConnectionTarget
    /// Where an attempt connects, given how many attempts failed since the last link (0 for the first
    /// retry after a loss); nil: always `target`'s address. A cluster's subscription goes on to another
    /// node when its node stays away.
    var address: ((_ failedAttempts: Int) -> RedisConnectionTarget.Address)? = nil
    var eventLoop: EventLoop
    /// The longest one attempt (connect plus handshake) may take.
    var connectTimeout: TimeAmount
    /// See ``RedisHealthCheck``; nil turns the check off.
    var healthInterval: TimeAmount?
    var backoff: ReconnectBackoff
    /// See ``RedisConnectionSupervisor``: a cause that keeps failing is logged once, then this often.
    var summaryInterval: TimeAmount
    var logger: Logger
}
