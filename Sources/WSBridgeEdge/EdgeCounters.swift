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
    /// Server-sent-events streams open now (`sse_path`).
    public let openEventStreams = ManagedAtomic<Int>(0)
    /// Server-sent-events streams opened since start.
    public let eventStreamConnects = ManagedAtomic<Int>(0)
    /// Messages received from WebSocket clients since start (after reassembly).
    public let clientMessages = ManagedAtomic<Int>(0)
    /// Upgrades that negotiated permessage-deflate.
    public let deflateUpgrades = ManagedAtomic<Int>(0)
    /// Server messages compressed: once per broadcast and window size, once per connection for a
    /// connection's own frames (`wsbridge.v1` messages, an app's `send`).
    public let deflatedMessages = ManagedAtomic<Int>(0)
    /// Payload bytes those compressions took in, and what they gave (the uncompressed size when
    /// compressing did not make a message smaller, so that it was sent as it was).
    public let deflateBytesIn = ManagedAtomic<Int>(0)
    public let deflateBytesOut = ManagedAtomic<Int>(0)
    /// Compressed messages received from clients and inflated.
    public let inflatedMessages = ManagedAtomic<Int>(0)

    public init() {}
}
