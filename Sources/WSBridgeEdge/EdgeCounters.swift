import Atomics

/// Edge counters that are not per shard: relaxed atomics, touched once per connection or per client
/// message. Thread safe.
///
/// Everything counted by kind (limits hit, refused handshakes, disconnects by close code) is counted
/// per shard instead (``ShardCounters``), on the connection's own event loop.
public final class EdgeCounters: Sendable {
    /// Open TCP connections on the public listener (in handshake or upgraded).
    public let openConnections = ManagedAtomic<Int>(0)
    /// Upgraded WebSocket connections open now.
    public let openWebSockets = ManagedAtomic<Int>(0)
    /// WebSocket upgrades completed since start.
    public let upgrades = ManagedAtomic<Int>(0)
    /// Messages received from WebSocket clients since start (after reassembly).
    public let clientMessages = ManagedAtomic<Int>(0)

    public init() {}
}
