/// What one shard counted since start; summed over shards in ``RegistrySnapshot``.
///
/// Written only on the shard's event loop, so counting costs a plain increment: no lock, no atomic.
/// Status and `/metrics` read it through ``Router/snapshot()``, which visits each loop in turn.
public struct ShardCounters: Sendable {
    /// Sessions (WebSocket connections and app sessions) added to the shard.
    public var sessionsAdded = 0
    /// Sessions removed from the shard.
    public var sessionsRemoved = 0
    /// Messages written to local sessions, one per recipient, by where the message entered wsbridge.
    public var deliveries: [DeliverySource: Int] = [:]
    /// Flushes the shard issued to sessions after writing deliveries: one per session per batch, or,
    /// with a write-coalescing window, per window. Not counted: the flushes a connection does itself
    /// (an app's `send`, pings, pongs, close frames).
    public var flushes = 0
    /// Connections closed or refused, or messages dropped, because of a limit.
    public var limitHits: [LimitKind: Int] = [:]
    /// WebSocket handshakes refused (HTTP 401/403/500/503 before the upgrade), by reason.
    public var refusals: [RefusalKind: Int] = [:]
    /// Upgraded WebSocket connections that ended, by ``CloseCode/disconnectLabel(_:closeFrameReceived:)``.
    public var disconnects: [String: Int] = [:]
    /// The most bytes seen waiting in one WebSocket connection's outbound buffer (see
    /// ``Shard/noteOutboundQueue(bytes:)``), since start.
    public var outboundQueueHighWater = 0
    /// The most bytes waiting in one connection's outbound buffer at the last heartbeat.
    public var outboundQueueLargest = 0

    public init() {}
}

/// The limits whose hits are counted (`wsbridge_limit_hits_total{limit=...}`, `limits_hit` in status).
public enum LimitKind: String, Sendable, CaseIterable {
    /// A client fell more than `max_queue_bytes` behind and was closed with 1008.
    case slowConsumer = "slow_consumer"
    /// A client message exceeded `max_message_bytes` and the client was closed with 1009.
    case messageTooBig = "message_too_big"
    /// A client message came in more than `max_message_fragments` frames; closed with 1008.
    case messageFragments = "message_fragments"
    /// A client was silent past `idle_timeout` and was closed with 1001.
    case idleTimeout = "idle_timeout"
    /// The listener could not accept a connection: the process or system ran out of file
    /// descriptors (or socket memory). Accepting pauses for a second each time.
    case descriptorsExhausted = "descriptors_exhausted"
    /// A client did not complete its handshake within `handshake_timeout`.
    case handshakeTimeout = "handshake_timeout"
    /// A connection arrived over `max_connections` and was answered 503.
    case maxConnections = "max_connections"
    /// A user already held `max_connections_per_user` connections; the new one was answered 429.
    case maxConnectionsPerUser = "max_connections_per_user"
    /// A client sent faster than `max_client_messages_per_second`; closed with 1008.
    case clientMessageRate = "client_message_rate"
    /// A request's head was longer than `max_request_head_bytes` (answered 431), or a client sent as
    /// much again after its request before it was answered (closed).
    case maxRequestHeadBytes = "max_request_head_bytes"
}
