import NIOCore

/// A broker on Redis: one server (``RedisBroker``) or a Redis Cluster (``RedisClusterBroker``). What the
/// daemon reads of its link, and the commands it sends besides publishing (presence, receipt reports).
public protocol RedisBackedBroker: Broker {
    /// Sends `command` where `key` lives: one server runs everything; a cluster sends it to the master of
    /// the key's slot, or to any master for nil (a `PUBLISH`, which every node passes on). The future has
    /// Redis' reply (an error reply is a reply).
    func send(_ command: RedisCommand, key: String?) -> EventLoopFuture<RESPValue>
    /// Whether commands can be sent right now.
    var isConnected: Bool { get }
    /// Whether publishes are durable on the current links (the function library is usable).
    var isDurable: Bool { get }
    /// While not connected: why the last attempt failed, in words.
    var connectFailure: String? { get }
    /// Lost connections re-established since start.
    var reconnectCount: Int { get }
    /// Linked connections the health check closed because Redis stopped answering.
    var healthTimeoutCount: Int { get }
    /// Liveness probes missed since start.
    var probeMissCount: Int { get }
    /// Per-user routing: the users whose sharded channels this node subscribes to (0 with channel routing).
    var userChannelCount: Int { get }
    /// Per-user routing: `SSUBSCRIBE` and `SUNSUBSCRIBE` commands sent since start; against
    /// ``userChannelCount``, how well arrivals and departures are batched.
    var userSubscriptionCommandCount: Int { get }
    /// The round trip of the last probe that came back; zero before the first.
    var lastProbeRoundTrip: TimeAmount { get }
}

extension RedisBroker: RedisBackedBroker {
    public func send(_ command: RedisCommand, key: String?) -> EventLoopFuture<RESPValue> {
        self.send(command)
    }
}
