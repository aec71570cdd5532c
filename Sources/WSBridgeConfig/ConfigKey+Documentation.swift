extension ConfigKey {
    /// The default as the documentation shows it: the literal value where there is one
    /// (`127.0.0.1:8080`, `64KiB`), otherwise a word in parentheses (`(empty)`, `(host name)`).
    public var defaultText: String {
        fileDefault ?? (self == .nodeID ? "(host name)" : "(empty)")
    }

    /// The default written as a config file value, or `nil` when the default is "unset" or is
    /// computed at start-up. Parsing this text gives exactly ``WSBridgeConfiguration/init()``'s value.
    var fileDefault: String? {
        switch self {
        case .listen: return "127.0.0.1:8080"
        case .wsPath: return "/ws"
        case .ssePath: return "/sse"
        case .adminListen: return "127.0.0.1:9188"
        case .appSocket: return "wsbridge-app.sock"
        case .maxFrameBytes: return "1MiB"
        case .appMaxQueueBytes: return "4MiB"
        case .connectTimeout: return "5s"
        case .appSocketMode: return "0660"
        case .channel: return "websocket:sendMsgTopic"
        case .routing: return "channel"
        case .auth: return "app"
        case .jwtLeeway: return "30s"
        case .jwtRequireExp: return "on"
        case .allowedOrigins: return "*"
        case .maxMessageBytes: return "64KiB"
        case .maxMessageFragments: return "1024"
        case .maxRequestHeadBytes: return "80KiB"
        case .maxClientMessagesPerSecond: return "100"
        case .maxQueueBytes: return "1MiB"
        case .permessageDeflate: return "on"
        case .deflateMinBytes: return "256"
        case .writeCoalesceWindow: return "0"
        case .maxConnections: return "100000"
        case .maxConnectionsPerUser: return "0"
        case .handshakeTimeout: return "10s"
        case .pingInterval: return "25s"
        case .idleTimeout: return "60s"
        case .closeTimeout: return "3s"
        case .drainTimeout: return "10s"
        case .eventLoops: return "0"
        case .brokerReconnectMax: return "250ms"
        case .brokerHealthInterval: return "5s"
        case .brokerProbeInterval: return "5s"
        case .historySize: return "100"
        case .historyTTL: return "5m"
        case .historyMetaTTL: return "1h"
        case .presenceTTL: return "15s"
        case .presenceHeartbeatInterval: return "5s"
        case .receiptWindow: return "500ms"
        case .logLevel: return "info"
        case .logFormat: return "logfmt"
        case .logSummaryInterval: return "1m"
        case .appAllowedUIDs, .redis, .redisCluster, .compatUserField, .nodeID, .jwtSecret, .jwtSecretFile, .jwtPublicKeyFile, .tlsCert, .tlsKey,
            .jwtJWKSFile, .jwtIssuer, .jwtAudience, .logUser, .trustedProxies:
            return nil
        }
    }

    /// One line saying what the key does, for docs, man pages and the default config file.
    public var summary: String {
        switch self {
        case .listen:
            return "WebSocket/HTTP listener, HOST:PORT or [IPv6]:PORT; port 0 picks a free port."
        case .wsPath:
            return "URL path that accepts WebSocket upgrades; starts with /."
        case .ssePath:
            return "URL path of the server-sent-events fallback (GET, Accept: text/event-stream), same auth as ws_path; off = none."
        case .tlsCert:
            return "PEM certificate chain (leaf first) of the WebSocket listener; with tls_key it serves wss:// only; re-read on SIGHUP."
        case .tlsKey:
            return "PEM private key of tls_cert; re-read on SIGHUP (a file that does not load keeps the old pair)."
        case .adminListen:
            return "Admin HTTP listener for /metrics, /healthz and /readyz, HOST:PORT; empty or off = none."
        case .appSocket:
            return "Unix socket where local apps attach (the package sets /run/wsbridge/app.sock)."
        case .maxFrameBytes:
            return "Largest app-protocol frame on the app socket, 1KiB to 64MiB."
        case .appMaxQueueBytes:
            return "Bytes an attached app may leave unread before it is disconnected as a slow consumer. At least 64KiB."
        case .connectTimeout:
            return "With auth = app, time to wait for an app's accept/reject before answering 503; less than handshake_timeout."
        case .appSocketMode:
            return "File mode of the app socket, 3 or 4 octal digits (0660, 660, 0600), at most 0777."
        case .appAllowedUIDs:
            return "Comma-separated uids or user names allowed to attach; empty = any peer that can open the socket."
        case .redis:
            return "Redis URL (redis://[[user]:password@]host[:port][/db] or unix:///path[?db=N]); empty = embedded broker."
        case .routing:
            return "How user-addressed messages travel: channel (every host gets every message) or per-user (a host gets its users' only; Redis 7)."
        case .redisCluster:
            return "Redis Cluster seed nodes, comma-separated redis://[[user]:password@]host[:port] URLs (same credentials); instead of redis."
        case .channel:
            return "Redis pub/sub channel that carries the messages of every host."
        case .compatUserField:
            return "Deliver messages without native fields to the user named by this JSON field; empty = off."
        case .nodeID:
            return "Name of this host in logs, status and metrics; printable ASCII, no spaces, at most 64 bytes."
        case .auth:
            return "How connections are authenticated: app, jwt or insecure-query (development only)."
        case .jwtSecret:
            return "HS256 shared secret, at least 32 bytes (auth = jwt)."
        case .jwtSecretFile:
            return "File whose content (trailing newline removed) is the HS256 secret; excludes jwt_secret."
        case .jwtPublicKeyFile:
            return "PEM file with the RS256 public key that verifies tokens."
        case .jwtJWKSFile:
            return "JWKS file (RFC 7517) of RS256 and HS256 keys chosen by the token's kid; re-read on SIGHUP, for key rotation."
        case .jwtLeeway:
            return "Clock skew tolerated when checking a token's exp and nbf."
        case .jwtRequireExp:
            return "Refuse tokens without an exp claim (on or off)."
        case .jwtIssuer:
            return "The iss claim every token must carry; empty = not checked."
        case .jwtAudience:
            return "Comma-separated audiences; a token's aud must name one of them; empty = not checked."
        case .allowedOrigins:
            return "Comma-separated Origin allowlist (scheme://host[:port]), or * for any origin."
        case .trustedProxies:
            return "Comma-separated proxy addresses or CIDR networks whose X-Forwarded-For names the client; empty = none."
        case .maxClientMessagesPerSecond:
            return "Messages a client may send per second, in bursts of as many; faster closes it with 1008; 0 = no limit."
        case .maxMessageFragments:
            return "Most frames one client message may come in; more closes the client with 1008; 1 to 1000000."
        case .maxMessageBytes:
            return "Largest client message after fragment reassembly, 125 bytes to 64MiB."
        case .maxRequestHeadBytes:
            return "Longest request head (request line and headers) on the public listener; longer is answered 431; 1KiB to 1MiB."
        case .permessageDeflate:
            return "Negotiate permessage-deflate (RFC 7692) with clients that offer it; a broadcast is compressed once."
        case .deflateMinBytes:
            return "Server messages smaller than this are sent uncompressed even to deflate clients; 0 to 64MiB."
        case .maxQueueBytes:
            return "Per-connection outbound queue; a client that falls further behind is closed. At least 4KiB."
        case .writeCoalesceWindow:
            return "Longest a delivery may wait so that several reach a connection in one flush; 0 = off; at most 1s."
        case .maxConnectionsPerUser:
            return "Most WebSocket connections one user may hold on this host; one more gets HTTP 429; 0 = no limit."
        case .maxConnections:
            return "Most WebSocket connections held at once; more are refused."
        case .handshakeTimeout:
            return "Time a client has to complete the HTTP upgrade (and app authentication)."
        case .pingInterval:
            return "Interval between server pings on an idle connection; 0 = off."
        case .idleTimeout:
            return "Close a connection that sent nothing for this long; 0 = off; must exceed ping_interval."
        case .closeTimeout:
            return "Time to wait for the client's close frame before dropping the connection."
        case .drainTimeout:
            return "On SIGTERM, the window over which clients are closed with 1001 before the process exits."
        case .eventLoops:
            return "Number of event loop threads; 0 = one per CPU the process may use (affinity, cgroup quota); at most 256."
        case .brokerReconnectMax:
            return "Longest wait between broker reconnect attempts while Redis is away (the first is immediate), 10ms to 10s."
        case .brokerProbeInterval:
            return "Publish a probe this often that must come back on the subscription, else it is rebuilt; 0 = off; 100ms to 1h."
        case .historySize:
            return "Durable messages kept per stream (each user's, and all) for recovery, 1 to 100000."
        case .historyTTL:
            return "How long a stream's messages are kept after its last publish, 1s to 720h."
        case .historyMetaTTL:
            return "How long a stream's position outlives its last use; at least history_ttl, at most 720h."
        case .presenceTTL:
            return "A host's users leave the shared presence this long after its last heartbeat (a dead host's too), 1s to 1h."
        case .presenceHeartbeatInterval:
            return "How often the host renews its presence in Redis; shorter than presence_ttl; 100ms to 10m."
        case .receiptWindow:
            return "How long a publish with receipt waits for the hosts holding its users; the silent ones count as unknown; 10ms to 10s."
        case .brokerHealthInterval:
            return "PING a Redis connection silent this long; reconnect if it stays silent as long again; 0 = off; 100ms to 1h."
        case .logLevel:
            return "Least severe level logged: trace, debug, info, notice, warning, error or critical."
        case .logFormat:
            return "Log line format on standard error: logfmt or json."
        case .logUser:
            return "Comma-separated user ids whose connections are logged at info when they open and close (else at debug)."
        case .logSummaryInterval:
            return "Log one summary line at info this often (connections, users, deliveries since the last); 0 = off; 1s to 24h."
        }
    }
}
