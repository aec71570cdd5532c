/// Why ``RedisBroker/publish(_:)`` failed. Compare with the static members (`error == .notConnected`).
public struct RedisBrokerError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case notConnected
        case connectionLost
        case publishRejected
        case unexpectedReply
        case shutDown
        case historyUnavailable
        case historyRejected
        case presenceUnavailable
        case presenceRejected
        case connectFailed
    }

    private let code: Code
    /// The server's words, where there are any (for example the error reply to `PUBLISH`).
    public let detail: String?

    private init(_ code: Code, detail: String? = nil) {
        self.code = code
        self.detail = detail
    }

    /// The publisher connection is down right now (Redis unreachable, reconnecting, or not started).
    /// Publishes are not queued while disconnected: they fail at once.
    public static let notConnected = RedisBrokerError(.notConnected)
    /// The connection closed after the `PUBLISH` was written but before its reply arrived: it may or may
    /// not have been published.
    public static let connectionLost = RedisBrokerError(.connectionLost)
    /// The broker was shut down.
    public static let shutDown = RedisBrokerError(.shutDown)

    /// The link has no usable function library (Redis before 7.0, or `FUNCTION` refused): no history.
    public static let historyUnavailable = RedisBrokerError(.historyUnavailable)

    /// Redis answered `FCALL wsbridge_history` with an error reply.
    public static func historyRejected(_ reply: String) -> RedisBrokerError {
        RedisBrokerError(.historyRejected, detail: reply)
    }

    /// The link has no usable function library: presence can be neither written nor read.
    public static let presenceUnavailable = RedisBrokerError(.presenceUnavailable)

    /// Redis answered a presence call (`FCALL wsbridge_presence…`) with an error reply.
    public static func presenceRejected(_ reply: String) -> RedisBrokerError {
        RedisBrokerError(.presenceRejected, detail: reply)
    }

    /// An attempt to connect to Redis failed before a one-shot publish could be sent (see
    /// ``RedisBroker/publishWhenLinked(_:timeout:)``); `cause` says why in words, as
    /// ``RedisBroker/connectFailure`` does, and is the whole description.
    public static func connectFailed(_ cause: String) -> RedisBrokerError {
        RedisBrokerError(.connectFailed, detail: cause)
    }

    /// Redis answered the publish (`FCALL wsbridge_publish` or `PUBLISH`) with an error reply.
    public static func publishRejected(_ reply: String) -> RedisBrokerError {
        RedisBrokerError(.publishRejected, detail: reply)
    }

    /// Redis answered with something that makes no sense for the command.
    public static func unexpectedReply(_ reply: String) -> RedisBrokerError {
        RedisBrokerError(.unexpectedReply, detail: reply)
    }

    public var description: String {
        switch self.code {
        case .notConnected: "not connected to Redis (reconnecting); message not published"
        case .connectionLost: "Redis connection lost before the command was answered: the message may or may not have been published"
        case .shutDown: "the Redis broker is shut down"
        case .publishRejected: "Redis rejected the message: \(self.detail ?? "")"
        case .unexpectedReply: "unexpected reply from Redis: \(self.detail ?? "")"
        case .historyUnavailable: "Redis has no usable wsbridge function library (Redis 7.0 or newer is needed): no history"
        case .historyRejected: "Redis rejected the history request: \(self.detail ?? "")"
        case .presenceUnavailable: "Redis has no usable wsbridge function library (Redis 7.0 or newer is needed): no presence"
        case .presenceRejected: "Redis rejected the presence request: \(self.detail ?? "")"
        case .connectFailed: self.detail ?? "cannot connect to Redis"
        }
    }
}
