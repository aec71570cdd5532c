/// How user-addressed messages travel between hosts (`routing`).
public enum Routing: String, CaseIterable, Sendable {
    /// Every message on the one channel: every host receives every message and keeps what is for its
    /// users. Simple; the cost of a message grows with the number of hosts.
    case channel
    /// A durable message for a user on that user's sharded channel (`SSUBSCRIBE`, Redis 7): a host
    /// receives the messages of the users it holds sessions of. `all`, best-effort and seed-style
    /// messages stay on the channel.
    case perUser = "per-user"
}
