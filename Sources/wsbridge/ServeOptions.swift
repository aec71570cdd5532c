import ArgumentParser
import WSBridgeConfig

/// One flag per config key; a flag given on the command line wins over the config file.
struct ServeOptions: ParsableArguments {
    @Option(name: .long, help: "Config file (key = value lines; see wsbridge.conf(5)).")
    var config: String?

    @Option(name: .long, help: "WebSocket/HTTP listener, HOST:PORT (default 127.0.0.1:8080; port 0 picks one).")
    var listen: String?
    @Option(name: .long, help: "WebSocket path (default /ws).")
    var wsPath: String?
    @Option(name: .long, help: "Server-sent-events fallback path; off = none (default /sse).")
    var ssePath: String?
    @Option(name: .long, help: "PEM certificate chain of the WebSocket listener: serve wss:// (with --tls-key).")
    var tlsCert: String?
    @Option(name: .long, help: "PEM private key of --tls-cert.")
    var tlsKey: String?
    @Option(name: .long, help: "Admin listener for /metrics, /healthz, /readyz, HOST:PORT; off = none (default 127.0.0.1:9188).")
    var adminListen: String?
    @Option(name: .long, help: "Unix socket for local apps (default wsbridge-app.sock).")
    var appSocket: String?
    @Option(name: .long, help: "Largest app-protocol frame (default 1MiB).")
    var maxFrameBytes: String?
    @Option(name: .long, help: "Unread bytes before an app is disconnected as a slow consumer (default 4MiB).")
    var appMaxQueueBytes: String?
    @Option(name: .long, help: "With --auth app, how long a handshake waits for an app's answer (default 5s).")
    var connectTimeout: String?
    @Option(name: .long, help: "File mode of the app socket, octal (default 0660).")
    var appSocketMode: String?
    @Option(name: .long, help: "Comma-separated uids or user names allowed to attach (default: anyone who can open the socket).")
    var appAllowedUids: String?
    @Option(name: .long, help: "Redis URL, redis://[user:password@]host:port[/db] or unix:///path; none = embedded broker.")
    var redis: String?
    @Option(name: .long, help: "Redis Cluster seed nodes, redis://host:port[,redis://host:port...]; instead of --redis.")
    var redisCluster: String?
    @Option(name: .long, help: "How user-addressed messages travel between hosts: channel or per-user (default channel).")
    var routing: String?
    @Option(name: .long, help: "Redis pub/sub channel (default websocket:sendMsgTopic).")
    var channel: String?
    @Option(name: .long, help: "Deliver messages with this field (e.g. userId) whole to that user (seed compatibility).")
    var compatUserField: String?
    @Option(name: .long, help: "This node's id (default: the host name).")
    var nodeId: String?
    @Option(name: .long, help: "Auth mode: app, jwt or insecure-query (default app).")
    var auth: String?
    @Option(name: .long, help: "HS256 secret for auth jwt (prefer --jwt-secret-file).")
    var jwtSecret: String?
    @Option(name: .long, help: "File holding the HS256 secret.")
    var jwtSecretFile: String?
    @Option(name: .long, help: "RS256 public key (PEM) file.")
    var jwtPublicKeyFile: String?
    @Option(name: .long, help: "JWKS file of RS256/HS256 keys picked by the token's kid (re-read on SIGHUP).")
    var jwtJwksFile: String?
    @Option(name: .long, help: "Clock skew allowed on exp/nbf (default 30s).")
    var jwtLeeway: String?
    @Option(name: .long, help: "Refuse tokens without exp: on or off (default on).")
    var jwtRequireExp: String?
    @Option(name: .long, help: "The iss every token must carry (default: not checked).")
    var jwtIssuer: String?
    @Option(name: .long, help: "Comma-separated audiences, one of which a token's aud must name (default: not checked).")
    var jwtAudience: String?
    @Option(name: .long, help: "Comma-separated Origin allowlist, or * (default *).")
    var allowedOrigins: String?
    @Option(name: .long, help: "Proxies (addresses or CIDR) whose X-Forwarded-For names the client.")
    var trustedProxies: String?
    @Option(name: .long, help: "Largest client message (default 64KiB).")
    var maxMessageBytes: String?
    @Option(name: .long, help: "Most frames one client message may come in (default 1024).")
    var maxMessageFragments: String?
    @Option(name: .long, help: "Longest request head on the public listener; longer is answered 431 (default 80KiB).")
    var maxRequestHeadBytes: String?
    @Option(name: .long, help: "Messages a client may send per second; 0 = no limit (default 100).")
    var maxClientMessagesPerSecond: String?
    @Option(name: .long, help: "Per-connection outbound queue before a slow client is closed (default 1MiB).")
    var maxQueueBytes: String?
    @Option(name: .long, help: "Negotiate permessage-deflate with clients that offer it: on or off (default on).")
    var permessageDeflate: String?
    @Option(name: .long, help: "Server messages smaller than this go uncompressed (default 256).")
    var deflateMinBytes: String?
    @Option(name: .long, help: "Hold deliveries up to this long to flush several at once; 0 = off, at most 1s (default 0).")
    var writeCoalesceWindow: String?
    @Option(name: .long, help: "Open connections before new ones get 503 (default 100000).")
    var maxConnections: String?
    @Option(name: .long, help: "Connections one user may hold; one more gets 429; 0 = no limit (default 0).")
    var maxConnectionsPerUser: String?
    @Option(name: .long, help: "Time allowed for the HTTP upgrade (default 10s).")
    var handshakeTimeout: String?
    @Option(name: .long, help: "Ping a silent client this often; 0 = never (default 25s).")
    var pingInterval: String?
    @Option(name: .long, help: "Close a client silent this long; 0 = never (default 60s).")
    var idleTimeout: String?
    @Option(name: .long, help: "Wait this long for the client's close frame (default 3s).")
    var closeTimeout: String?
    @Option(name: .long, help: "On SIGTERM, close clients with 1001 over this window (default 10s).")
    var drainTimeout: String?
    @Option(name: .long, help: "Event loop threads; 0 = one per usable CPU (default 0).")
    var eventLoops: String?
    @Option(name: .long, help: "Longest wait between broker reconnect attempts (default 250ms).")
    var brokerReconnectMax: String?
    @Option(name: .long, help: "PING a Redis link silent this long; reconnect if it stays silent; 0 = off (default 5s).")
    var brokerHealthInterval: String?
    @Option(name: .long, help: "Probe the subscription end to end this often; 0 = off (default 5s).")
    var brokerProbeInterval: String?
    @Option(name: .long, help: "Durable messages kept per stream for recovery (default 100).")
    var historySize: String?
    @Option(name: .long, help: "Keep a stream's messages this long after its last publish (default 5m).")
    var historyTtl: String?
    @Option(name: .long, help: "Keep a stream's position this long after its last use (default 1h).")
    var historyMetaTtl: String?
    @Option(name: .long, help: "A host's users leave the shared presence this long after its last heartbeat (default 15s).")
    var presenceTtl: String?
    @Option(name: .long, help: "Renew this host's presence in Redis this often; shorter than --presence-ttl (default 5s).")
    var presenceHeartbeatInterval: String?
    @Option(name: .long, help: "How long a publish with receipt waits for the hosts holding its users (default 500ms).")
    var receiptWindow: String?
    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?
    @Option(name: .long, help: "logfmt or json (default logfmt).")
    var logFormat: String?
    @Option(name: .long, help: "Comma-separated user ids whose connections are logged at info.")
    var logUser: String?
    @Option(name: .long, help: "Log a summary line this often; 0 = off (default 1m).")
    var logSummaryInterval: String?

    /// The flags given, as config overrides.
    var overrides: [ConfigLoader.Override] {
        let pairs: [(ConfigKey, String?)] = [
            (.listen, self.listen), (.wsPath, self.wsPath), (.ssePath, self.ssePath), (.tlsCert, self.tlsCert), (.tlsKey, self.tlsKey), (.adminListen, self.adminListen), (.appSocket, self.appSocket), (.redis, self.redis), (.redisCluster, self.redisCluster), (.routing, self.routing),
            (.maxFrameBytes, self.maxFrameBytes), (.appMaxQueueBytes, self.appMaxQueueBytes),
            (.connectTimeout, self.connectTimeout), (.appSocketMode, self.appSocketMode),
            (.appAllowedUIDs, self.appAllowedUids), (.channel, self.channel), (.compatUserField, self.compatUserField), (.nodeID, self.nodeId),
            (.auth, self.auth), (.jwtSecret, self.jwtSecret), (.jwtSecretFile, self.jwtSecretFile),
            (.jwtPublicKeyFile, self.jwtPublicKeyFile), (.jwtJWKSFile, self.jwtJwksFile), (.jwtLeeway, self.jwtLeeway),
            (.jwtRequireExp, self.jwtRequireExp), (.jwtIssuer, self.jwtIssuer), (.jwtAudience, self.jwtAudience),
            (.allowedOrigins, self.allowedOrigins), (.trustedProxies, self.trustedProxies), (.maxMessageBytes, self.maxMessageBytes), (.maxMessageFragments, self.maxMessageFragments), (.maxRequestHeadBytes, self.maxRequestHeadBytes),
            (.maxClientMessagesPerSecond, self.maxClientMessagesPerSecond),
            (.maxQueueBytes, self.maxQueueBytes), (.permessageDeflate, self.permessageDeflate), (.deflateMinBytes, self.deflateMinBytes), (.writeCoalesceWindow, self.writeCoalesceWindow), (.maxConnections, self.maxConnections), (.maxConnectionsPerUser, self.maxConnectionsPerUser),
            (.handshakeTimeout, self.handshakeTimeout), (.pingInterval, self.pingInterval),
            (.idleTimeout, self.idleTimeout), (.closeTimeout, self.closeTimeout), (.drainTimeout, self.drainTimeout), (.eventLoops, self.eventLoops),
            (.brokerReconnectMax, self.brokerReconnectMax),
            (.brokerHealthInterval, self.brokerHealthInterval), (.brokerProbeInterval, self.brokerProbeInterval),
            (.historySize, self.historySize), (.historyTTL, self.historyTtl), (.historyMetaTTL, self.historyMetaTtl),
            (.presenceTTL, self.presenceTtl), (.presenceHeartbeatInterval, self.presenceHeartbeatInterval),
            (.receiptWindow, self.receiptWindow),
            (.logLevel, self.logLevel), (.logFormat, self.logFormat), (.logUser, self.logUser),
            (.logSummaryInterval, self.logSummaryInterval),
        ]
        return pairs.compactMap { key, value in value.map { (key: key, value: $0) } }
    }

    /// The first error a flag makes (a bad value, or a rule it breaks), as a usage error: called from
    /// the subcommand's `validate()`, so that the message comes with that subcommand's usage and
    /// exit status 64. Errors of the file itself are left to ``load()`` (exit status 1).
    func validateFlags() throws {
        let problems = ConfigLoader.validate(file: self.config, overrides: self.overrides)
        if let problem = problems.first(where: { $0.source == ConfigError.commandLine }) {
            throw ValidationError(problem.description)
        }
    }

    /// Loads and validates the configuration, or fails with the file/flag and line at fault: a bad
    /// flag is a usage error (exit status 64), a bad or missing config file a configuration error (1).
    func load() throws -> WSBridgeConfiguration {
        do {
            return try ConfigLoader.load(file: self.config, overrides: self.overrides)
        } catch where error.source == ConfigError.commandLine {
            throw ValidationError(error.description)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}
