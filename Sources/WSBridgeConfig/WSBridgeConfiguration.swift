/// The daemon's whole configuration, validated: every value is in range and every file it names
/// has been read. Build one with ``ConfigLoader``; ``init()`` gives the defaults.
///
/// One stored property per ``ConfigKey``; `jwt_secret` and `jwt_secret_file` both end up in
/// ``jwtSecret``, and `jwt_public_key_file` in ``jwtPublicKeyPEM``.
public struct WSBridgeConfiguration: Sendable, Equatable {
    /// `listen`: the WebSocket/HTTP listener.
    public var listen: ListenAddress
    /// `ws_path`: the URL path that accepts upgrades; starts with `/`.
    public var wsPath: String
    /// `sse_path`: the URL path of the server-sent-events fallback, or `nil` when off.
    public var ssePath: String?
    /// `admin_listen`: the admin HTTP listener (`/metrics`, `/healthz`, `/readyz`), or `nil` when off.
    /// Kept apart from ``listen`` so that metrics never share the public port.
    public var adminListen: ListenAddress?
    /// `app_socket`: the Unix socket where local apps attach.
    public var appSocket: String
    /// `max_frame_bytes`: the largest app-protocol frame, 1 KiB to 64 MiB.
    public var maxFrameBytes: Int
    /// `app_max_queue_bytes`: bytes an attached app may leave unread before it is disconnected
    /// as a slow consumer, at least 64 KiB.
    public var appMaxQueueBytes: Int
    /// `connect_timeout`: with `auth = app`, how long a handshake waits for an app's accept or
    /// reject before it is answered 503; more than zero, and shorter than ``handshakeTimeout``
    /// when `auth = app`.
    public var connectTimeout: Duration
    /// `app_socket_mode`: the app socket's file mode, `0` to `0o777`.
    public var appSocketMode: Int
    /// `app_allowed_uids`: the peer uids allowed to attach (user names already resolved), or
    /// `nil` for any peer that can open the socket.
    public var appAllowedUIDs: Set<UInt32>?
    /// `redis`: the Redis broker, or `nil` for the embedded in-process broker.
    public var redis: RedisEndpoint?
    /// `redis_cluster`: seed nodes of a Redis Cluster to use instead of ``redis``; nil when not set.
    public var redisCluster: [RedisEndpoint]?
    /// `routing`: how user-addressed messages travel between hosts.
    public var routing: Routing
    /// `channel`: the pub/sub channel; never empty.
    public var channel: String
    /// `compat_user_field`: the seed-compatibility user field, or `nil` when off.
    public var compatUserField: String?
    /// `node_id`: this host's name; printable ASCII without spaces, 1 to 64 bytes.
    public var nodeID: String
    /// `auth`: how connections are authenticated.
    public var auth: AuthMode
    /// The HS256 secret from `jwt_secret` or `jwt_secret_file`, at least 32 bytes, or `nil`.
    public var jwtSecret: [UInt8]?
    /// The RS256 public key PEM read from `jwt_public_key_file`, or `nil`.
    public var jwtPublicKeyPEM: String?
    /// The JWKS document read from `jwt_jwks_file`, or `nil`; its keys are checked by the verifier.
    public var jwtJWKS: [UInt8]?
    /// `jwt_leeway`: clock skew tolerated on `exp` and `nbf`.
    public var jwtLeeway: Duration
    /// `jwt_require_exp`: refuse tokens without `exp`.
    public var jwtRequireExp: Bool
    /// `jwt_issuer`: the required `iss`, or `nil`.
    public var jwtIssuer: String?
    /// `jwt_audience`: the accepted `aud` values; empty = any.
    public var jwtAudiences: [String]
    /// `allowed_origins`.
    public var allowedOrigins: OriginAllowlist
    /// `trusted_proxies`: whose `X-Forwarded-For` is believed.
    public var trustedProxies: [IPNetwork]
    /// `max_message_bytes`: the largest client message, 125 bytes to 64 MiB.
    public var maxMessageBytes: Int
    /// `max_message_fragments`: frames one client message may come in, 1 to 1,000,000.
    public var maxMessageFragments: Int
    /// `max_request_head_bytes`: the longest request head on the public listener, 1 KiB to 1 MiB.
    public var maxRequestHeadBytes: Int
    /// `max_client_messages_per_second`, or `nil` for no limit (0).
    public var maxClientMessagesPerSecond: Int?
    /// `max_queue_bytes`: per-connection outbound queue limit, at least 4 KiB.
    public var maxQueueBytes: Int
    /// `permessage_deflate`: negotiate RFC 7692 compression with clients that offer it.
    public var permessageDeflate: Bool
    /// `deflate_min_bytes`: server messages below this size go uncompressed.
    public var deflateMinBytes: Int
    /// `write_coalesce_window`: how long the deliveries written to a connection may wait for their
    /// flush, so that several go out in one; `.zero` (the default) flushes at the end of each batch.
    /// At most 1 s.
    public var writeCoalesceWindow: Duration
    /// `max_connections`: at least 1.
    public var maxConnections: Int
    /// `max_connections_per_user`, or `nil` for no limit (the default, 0).
    public var maxConnectionsPerUser: Int?
    /// `handshake_timeout`: more than zero.
    public var handshakeTimeout: Duration
    /// `ping_interval`, or `nil` when pings are off.
    public var pingInterval: Duration?
    /// `idle_timeout`, or `nil` when off; longer than ``pingInterval`` when both are set.
    public var idleTimeout: Duration?
    /// `close_timeout`: more than zero.
    public var closeTimeout: Duration
    /// `drain_timeout`: more than zero.
    public var drainTimeout: Duration
    /// `event_loops`: 0 (one per usable CPU) to 256.
    public var eventLoops: Int
    /// `broker_reconnect_max`: the cap of the reconnect backoff, 10 ms to 10 s.
    public var brokerReconnectMax: Duration
    /// `broker_health_interval`: silence on a linked Redis connection before a `PING`, and then before it
    /// is declared dead and reconnected; `nil` when the check is off. 100 ms to 1 h.
    public var brokerHealthInterval: Duration?
    /// `broker_probe_interval`: how often the subscription is probed end to end; `nil` when off.
    /// 100 ms to 1 h.
    public var brokerProbeInterval: Duration?
    /// `history_size`: durable messages kept per stream, 1 to 100,000.
    public var historySize: Int
    /// `history_ttl`: how long a stream's messages live after its last publish, 1 s to 30 d.
    public var historyTTL: Duration
    /// `history_meta_ttl`: how long a stream's epoch and offset outlive their last use; at least
    /// ``historyTTL``, at most 30 d.
    public var historyMetaTTL: Duration
    /// `presence_ttl`: how long this host's users stay in the shared presence after its last heartbeat
    /// (a host that dies disappears within it), 1 s to 1 h.
    public var presenceTTL: Duration
    /// `presence_heartbeat_interval`: how often this host renews its presence; shorter than
    /// ``presenceTTL``, 100 ms to 10 min.
    public var presenceHeartbeatInterval: Duration
    /// `receipt_window`: how long a `publish` with `receipt` waits for the hosts that hold its users,
    /// 10 ms to 10 s.
    public var receiptWindow: Duration
    /// `tls_cert`: a PEM file with the WebSocket listener's certificate chain (leaf first); with
    /// ``tlsKey``, the listener serves `wss://` only. Re-read on SIGHUP.
    public var tlsCert: String?
    /// `tls_key`: a PEM file with the private key of ``tlsCert``.
    public var tlsKey: String?
    /// `log_level`.
    public var logLevel: LogLevel
    /// `log_format`.
    public var logFormat: LogFormat
    /// `log_user`: users whose connections are logged at `info`.
    public var logUsers: [String]
    /// `log_summary_interval`, or `nil` when the summary is off.
    public var logSummaryInterval: Duration?

    /// The defaults, as documented in docs/configuration.md. `nodeID` is this machine's host
    /// name (made to fit the `node_id` rules if it does not).
    public init() {
        listen = ListenAddress(host: "127.0.0.1", port: 8080)
        wsPath = "/ws"
        ssePath = "/sse"
        adminListen = ListenAddress(host: "127.0.0.1", port: 9188)
        appSocket = "wsbridge-app.sock"
        maxFrameBytes = 1 << 20
        appMaxQueueBytes = 4 << 20
        connectTimeout = .seconds(5)
        appSocketMode = 0o660
        appAllowedUIDs = nil
        redis = nil
        redisCluster = nil
        routing = .channel
        channel = "websocket:sendMsgTopic"
        compatUserField = nil
        nodeID = NodeID.defaultValue()
        auth = .app
        jwtSecret = nil
        jwtPublicKeyPEM = nil
        jwtJWKS = nil
        jwtLeeway = .seconds(30)
        jwtRequireExp = true
        jwtIssuer = nil
        jwtAudiences = []
        allowedOrigins = .any
        trustedProxies = []
        maxMessageBytes = 64 << 10
        maxMessageFragments = 1024
        maxRequestHeadBytes = 80 << 10
        maxClientMessagesPerSecond = 100
        maxQueueBytes = 1 << 20
        permessageDeflate = true
        deflateMinBytes = 256
        writeCoalesceWindow = .zero
        maxConnections = 100_000
        maxConnectionsPerUser = nil
        handshakeTimeout = .seconds(10)
        pingInterval = .seconds(25)
        idleTimeout = .seconds(60)
        closeTimeout = .seconds(3)
        drainTimeout = .seconds(10)
        eventLoops = 0
        brokerReconnectMax = .milliseconds(250)
        brokerHealthInterval = .seconds(5)
        brokerProbeInterval = .seconds(5)
        historySize = 100
        historyTTL = .seconds(300)
        historyMetaTTL = .seconds(3600)
        presenceTTL = .seconds(15)
        presenceHeartbeatInterval = .seconds(5)
        receiptWindow = .milliseconds(500)
        logLevel = .info
        logFormat = .logfmt
        logUsers = []
        logSummaryInterval = .seconds(60)
    }
}
