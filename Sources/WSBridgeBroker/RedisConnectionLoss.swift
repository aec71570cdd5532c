import NIOCore

/// Why a connection attempt to Redis failed, or why a linked connection went away. Logged, then retried.
enum RedisConnectionLoss: Error, CustomStringConvertible {
    /// TCP/Unix connect failed (refused, unreachable, no such socket...), in words naming the address
    /// (``RedisConnectError``).
    case connectFailed(String)
    /// Connecting plus the handshake took longer than the connect timeout.
    case timedOut(TimeAmount)
    /// The server refused `AUTH` (or demanded it): `WRONGPASS ...`, `NOAUTH ...`, `ERR AUTH ...`.
    case authRefused(String)
    /// A handshake command other than `AUTH` got an error reply.
    case rejected(command: String, reply: String)
    /// A reply that makes no sense for what was sent.
    case unexpectedReply(command: String, reply: String)
    /// The server closed the connection (EOF): a restart, `CLIENT KILL`, an output-buffer limit...
    case closedByServer
    /// A socket or protocol error on an established connection.
    case failed(any Error)
    /// A linked connection read nothing for the health interval, then nothing for another interval after
    /// a `PING`: a half-open socket or a frozen server, which would otherwise go unnoticed forever.
    case unresponsive(after: TimeAmount)
    /// The liveness probe did not come back on the subscription (see ``RedisProbe``).
    case probeMissed(after: TimeAmount)
    /// A master of the cluster went away: the subscription is made again so that every stream catches up
    /// from the history (after a failover, a replica that had not received the last writes gives their
    /// offsets out again; only a catch-up sees that).
    case clusterMasterLost(String)

    var isAuthRefusal: Bool {
        if case .authRefused = self { return true }
        return false
    }

    var description: String {
        switch self {
        case .connectFailed(let words):
            return words
        case .timedOut(let timeout):
            return "no answer within the connect timeout of \(timeout.nanoseconds / 1_000_000) ms"
        case .authRefused(let reply):
            return Self.authWords(reply)
        case .rejected(let command, let reply):
            return "Redis rejected \(command): \(reply)"
        case .unexpectedReply(let command, let reply):
            return "unexpected reply to \(command): \(reply)"
        case .closedByServer:
            return "connection closed by the server"
        case .failed(let error):
            return "connection error: \(RedisConnectError.words(error))"
        case .unresponsive(let interval):
            let milliseconds = interval.nanoseconds / 1_000_000
            return "no answer to PING: nothing read for \(milliseconds) ms after it (health check)"
        case .probeMissed(let interval):
            return "the liveness probe did not come back on the subscription within \(interval.nanoseconds / 1_000_000) ms"
        case .clusterMasterLost(let address):
            return "the Redis Cluster master \(address) went away: catching up from the history once it is replaced"
        }
    }

    /// What an authentication refusal means and what to do about it: Redis's reply says which case
    /// it is (`NOAUTH`: a password is needed and none was sent; `WRONGPASS`: the user or password is
    /// wrong; `ERR AUTH ... without any password configured`: one was sent to a Redis that has none).
    static func authWords(_ reply: String) -> String {
        if reply.hasPrefix("NOAUTH") {
            return "Redis requires a password and none is configured (NOAUTH): give it in the redis URL, redis://:PASSWORD@host:port"
        }
        if reply.hasPrefix("WRONGPASS") {
            return "Redis refused the password (WRONGPASS): check the user and password in the redis URL"
        }
        if reply.contains("without any password configured") {
            return "Redis has no password set, but the redis URL gives one: remove it from the URL, or set requirepass in Redis (\(reply))"
        }
        return "Redis refused AUTH: \(reply)"
    }

    /// Whether an error reply means authentication failed, whatever command it answered.
    static func isAuthError(_ message: String) -> Bool {
        message.hasPrefix("WRONGPASS") || message.hasPrefix("NOAUTH")
            || (message.hasPrefix("ERR") && message.contains("AUTH"))
    }
}
