/// Every setting of the daemon. The raw value is the config file key; ``flagName`` is the
/// command-line flag that overrides it.
///
/// The order of the cases is the order of the documentation and of the rendered default file.
public enum ConfigKey: String, CaseIterable, Sendable {
    case listen
    case wsPath = "ws_path"
    case ssePath = "sse_path"
    case tlsCert = "tls_cert"
    case tlsKey = "tls_key"
    case adminListen = "admin_listen"
    case appSocket = "app_socket"
    case maxFrameBytes = "max_frame_bytes"
    case appMaxQueueBytes = "app_max_queue_bytes"
    case connectTimeout = "connect_timeout"
    case appSocketMode = "app_socket_mode"
    case appAllowedUIDs = "app_allowed_uids"
    case redis
    case redisCluster = "redis_cluster"
    case channel
    case routing
    case compatUserField = "compat_user_field"
    case nodeID = "node_id"
    case auth
    case jwtSecret = "jwt_secret"
    case jwtSecretFile = "jwt_secret_file"
    case jwtPublicKeyFile = "jwt_public_key_file"
    case jwtJWKSFile = "jwt_jwks_file"
    case jwtLeeway = "jwt_leeway"
    case jwtRequireExp = "jwt_require_exp"
    case jwtIssuer = "jwt_issuer"
    case jwtAudience = "jwt_audience"
    case allowedOrigins = "allowed_origins"
    case trustedProxies = "trusted_proxies"
    case maxMessageBytes = "max_message_bytes"
    case maxMessageFragments = "max_message_fragments"
    case maxRequestHeadBytes = "max_request_head_bytes"
    case maxClientMessagesPerSecond = "max_client_messages_per_second"
    case maxQueueBytes = "max_queue_bytes"
    case permessageDeflate = "permessage_deflate"
    case deflateMinBytes = "deflate_min_bytes"
    case writeCoalesceWindow = "write_coalesce_window"
    case maxConnections = "max_connections"
    case maxConnectionsPerUser = "max_connections_per_user"
    case handshakeTimeout = "handshake_timeout"
    case pingInterval = "ping_interval"
    case idleTimeout = "idle_timeout"
    case closeTimeout = "close_timeout"
    case drainTimeout = "drain_timeout"
    case eventLoops = "event_loops"
    case brokerReconnectMax = "broker_reconnect_max"
    case brokerHealthInterval = "broker_health_interval"
    case brokerProbeInterval = "broker_probe_interval"
    case historySize = "history_size"
    case historyTTL = "history_ttl"
    case historyMetaTTL = "history_meta_ttl"
    case presenceTTL = "presence_ttl"
    case presenceHeartbeatInterval = "presence_heartbeat_interval"
    case receiptWindow = "receipt_window"
    case logLevel = "log_level"
    case logFormat = "log_format"
    case logUser = "log_user"
    case logSummaryInterval = "log_summary_interval"

    /// The command-line flag, for example `--max-queue-bytes`.
    public var flagName: String {
        "--" + String(rawValue.map { $0 == "_" ? "-" : $0 })
    }

    /// Whether a changed value takes effect on SIGHUP without a restart. Keys that shape
    /// sockets, threads or identity (listeners, app socket, frame size, broker, node id, auth mode,
    /// log format) need one.
    public var reloadable: Bool {
        switch self {
        case .logLevel, .logUser, .allowedOrigins, .trustedProxies, .maxMessageBytes, .maxMessageFragments, .maxRequestHeadBytes, .maxClientMessagesPerSecond, .maxQueueBytes, .writeCoalesceWindow, .maxConnections, .maxConnectionsPerUser,
            .permessageDeflate, .deflateMinBytes, .handshakeTimeout, .pingInterval, .idleTimeout, .closeTimeout, .drainTimeout,
            .jwtSecret, .jwtSecretFile, .jwtPublicKeyFile, .jwtJWKSFile, .jwtLeeway, .jwtRequireExp, .jwtIssuer, .jwtAudience,
            .appMaxQueueBytes, .connectTimeout, .appAllowedUIDs, .tlsCert, .tlsKey:
            return true
        case .listen, .wsPath, .ssePath, .adminListen, .appSocket, .maxFrameBytes, .appSocketMode, .redis, .redisCluster, .channel, .routing, .compatUserField,
            .nodeID, .auth, .eventLoops, .brokerReconnectMax, .brokerHealthInterval, .brokerProbeInterval, .historySize,
            .historyTTL, .historyMetaTTL, .presenceTTL, .presenceHeartbeatInterval, .receiptWindow, .logFormat,
            .logSummaryInterval:
            return false
        }
    }

    /// Finds a key by its flag name (`--max-queue-bytes` or `max-queue-bytes`).
    public init?(flagName: String) {
        var name = Substring(flagName)
        if name.hasPrefix("--") {
            name = name.dropFirst(2)
        }
        guard !name.contains("_") else { return nil }
        self.init(rawValue: String(name.map { $0 == "-" ? "_" : $0 }))
    }
}
