/// A configuration being assembled: defaults, then each value as it is read, remembering where
/// every value came from so that the checks which span several keys (``ConfigDraft/finish()``)
/// can point at the right line or flag.
struct ConfigDraft {
    var configuration = WSBridgeConfiguration()
    /// Where each explicitly set key was set (the last setting wins).
    private(set) var origins: [ConfigKey: ConfigError.Origin] = [:]
    /// Keys whose value was rejected; the cross-field checks skip rules that involve them.
    private(set) var failedKeys: Set<ConfigKey> = []
    /// Used for errors about keys that were never set explicitly.
    let fallbackOrigin: ConfigError.Origin

    /// The literal `jwt_secret`, the `jwt_secret_file`, `jwt_public_key_file` and `jwt_jwks_file` paths; the
    /// files are read by ``finish()``.
    var jwtSecretText: String?
    var jwtSecretFile: String?
    var jwtPublicKeyFile: String?
    var jwtJWKSFile: String?

    init(fallbackOrigin: ConfigError.Origin) {
        self.fallbackOrigin = fallbackOrigin
    }

    func origin(of key: ConfigKey) -> ConfigError.Origin {
        origins[key] ?? fallbackOrigin
    }

    /// Reads `value` for `key` and stores it; returns the error, located at `origin`, if the
    /// value is not acceptable.
    mutating func set(_ key: ConfigKey, to value: String, from origin: ConfigError.Origin) -> ConfigError? {
        origins[key] = origin
        do {
            try apply(key, value)
            failedKeys.remove(key)
            return nil
        } catch {
            failedKeys.insert(key)
            return origin.error(key, error.message)
        }
    }

    /// Records an error found outside ``set(_:to:from:)`` (a file that cannot be read).
    mutating func markFailed(_ key: ConfigKey) {
        failedKeys.insert(key)
    }

    static let minimumMessageBytes = 125
    static let maximumMessageBytes = 64 << 20
    static let minimumQueueBytes = 4 << 10
    static let minimumFrameBytes = 1 << 10
    static let maximumFrameBytes = 64 << 20
    static let minimumAppQueueBytes = 64 << 10
    static let maximumEventLoops = 256
    static let brokerReconnectMaxRange = Duration.milliseconds(10)...Duration.seconds(10)
    static let brokerProbeIntervalRange = Duration.milliseconds(100)...Duration.seconds(3600)
    static let historySizeRange = 1...100_000
    /// A duration that must lie in `range`, which `rule` says in words for the error.
    private static func duration(_ value: String, in range: ClosedRange<Duration>, _ rule: String) throws(ConfigValueError) -> Duration {
        let duration = try ConfigValue.duration(value)
        guard range.contains(duration) else {
            throw ConfigValueError("must be \(rule), got \(ConfigValue.quoted(value))")
        }
        return duration
    }

    static let presenceTTLRange = Duration.seconds(1)...Duration.seconds(3600)
    static let presenceHeartbeatRange = Duration.milliseconds(100)...Duration.seconds(600)
    static let receiptWindowRange = Duration.milliseconds(10)...Duration.seconds(10)
    static let historyTTLRange = Duration.seconds(1)...Duration.seconds(30 * 86400)
    /// Shorter would PING a healthy but quiet Redis needlessly often; longer would leave a dead link
    /// unnoticed for too long to be useful.
    static let brokerHealthIntervalRange = Duration.milliseconds(100)...Duration.seconds(3600)
    static let maximumWriteCoalesceWindow = Duration.seconds(1)
    static let messageFragmentsRange = 1...1_000_000
    static let logSummaryIntervalRange = Duration.seconds(1)...Duration.seconds(86400)
    static let minimumSecretBytes = 32
    static let shortSecretMessage = "HS256 secrets must be at least \(minimumSecretBytes) bytes"

    private mutating func apply(_ key: ConfigKey, _ value: String) throws(ConfigValueError) {
        switch key {
        case .listen:
            configuration.listen = try ListenAddress.parse(value)
        case .wsPath:
            guard value.hasPrefix("/"), !value.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" }) else {
                throw .expected("a URL path starting with / (no spaces, ? or #)", got: value)
            }
            configuration.wsPath = value
        case .ssePath:
            if value.isEmpty || value == ListenAddress.off {
                configuration.ssePath = nil
                return
            }
            guard value.hasPrefix("/"), !value.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" }) else {
                throw .expected("a URL path starting with / (no spaces, ? or #), or off", got: value)
            }
            guard value != "/healthz" else {
                throw .expected("a path other than /healthz (the listener's health check)", got: value)
            }
            configuration.ssePath = value
        case .adminListen:
            configuration.adminListen = try ListenAddress.parseOptional(value)
        case .appSocket:
            try UnixSocketPath.validate(value)
            configuration.appSocket = value
        case .maxFrameBytes:
            configuration.maxFrameBytes = try Self.size(value, from: Self.minimumFrameBytes, to: Self.maximumFrameBytes)
        case .appMaxQueueBytes:
            configuration.appMaxQueueBytes = try Self.size(value, from: Self.minimumAppQueueBytes, to: nil)
        case .connectTimeout:
            configuration.connectTimeout = try Self.positiveDuration(value)
        case .appSocketMode:
            configuration.appSocketMode = try ConfigValue.fileMode(value)
        case .appAllowedUIDs:
            configuration.appAllowedUIDs = try AppAllowedUIDs.parse(value)
        case .redis:
            configuration.redis = value.isEmpty ? nil : try RedisEndpoint.parse(value)
        case .redisCluster:
            configuration.redisCluster = value.isEmpty ? nil : try RedisEndpoint.parseCluster(value)
        case .channel:
            guard !value.isEmpty else {
                throw ConfigValueError("expected a channel name, got an empty value")
            }
            configuration.channel = value
        case .compatUserField:
            configuration.compatUserField = value.isEmpty ? nil : value
        case .nodeID:
            if !value.isEmpty {
                try NodeID.validate(value)
            }
            configuration.nodeID = value.isEmpty ? NodeID.defaultValue() : value
        case .auth:
            configuration.auth = try ConfigValue.choice(value, of: AuthMode.self)
        case .routing:
            configuration.routing = try ConfigValue.choice(value, of: Routing.self)
        case .jwtSecret:
            guard value.isEmpty || value.utf8.count >= Self.minimumSecretBytes else {
                throw ConfigValueError("\(Self.shortSecretMessage), got \(value.utf8.count)")
            }
            jwtSecretText = value.isEmpty ? nil : value
        case .jwtSecretFile:
            jwtSecretFile = value.isEmpty ? nil : value
        case .jwtPublicKeyFile:
            jwtPublicKeyFile = value.isEmpty ? nil : value
        case .jwtJWKSFile:
            jwtJWKSFile = value.isEmpty ? nil : value
        case .jwtLeeway:
            configuration.jwtLeeway = try ConfigValue.duration(value)
        case .jwtRequireExp:
            configuration.jwtRequireExp = try ConfigValue.boolean(value)
        case .jwtIssuer:
            configuration.jwtIssuer = value.isEmpty ? nil : value
        case .jwtAudience:
            configuration.jwtAudiences = value.isEmpty ? [] : try ConfigValue.list(value)
        case .allowedOrigins:
            configuration.allowedOrigins = try OriginAllowlist.parse(value)
        case .trustedProxies:
            var networks: [IPNetwork] = []
            for entry in value.isEmpty ? [] : try ConfigValue.list(value) {
                networks.append(try IPNetwork.parse(entry))
            }
            configuration.trustedProxies = networks
        case .maxClientMessagesPerSecond:
            let count = try ConfigValue.integer(value)
            guard (0...1_000_000).contains(count) else {
                throw ConfigValueError("must be from 0 (no limit) to 1000000, got \(count)")
            }
            configuration.maxClientMessagesPerSecond = count == 0 ? nil : count
        case .maxMessageFragments:
            let count = try ConfigValue.integer(value)
            guard Self.messageFragmentsRange.contains(count) else {
                throw ConfigValueError("must be from 1 to 1000000, got \(count)")
            }
            configuration.maxMessageFragments = count
        case .maxRequestHeadBytes:
            configuration.maxRequestHeadBytes = try Self.size(value, from: 1 << 10, to: 1 << 20)
        case .maxMessageBytes:
            configuration.maxMessageBytes = try Self.size(
                value, from: Self.minimumMessageBytes, to: Self.maximumMessageBytes)
        case .maxQueueBytes:
            configuration.maxQueueBytes = try Self.size(value, from: Self.minimumQueueBytes, to: nil)
        case .permessageDeflate:
            configuration.permessageDeflate = try ConfigValue.boolean(value)
        case .deflateMinBytes:
            configuration.deflateMinBytes = try Self.size(value, from: 0, to: Self.maximumMessageBytes)
        case .writeCoalesceWindow:
            let window = try ConfigValue.duration(value)
            guard window <= Self.maximumWriteCoalesceWindow else {
                let maximum = ConfigValue.format(Self.maximumWriteCoalesceWindow)
                throw ConfigValueError("must be from 0 (off) to \(maximum), got \(ConfigValue.quoted(value))")
            }
            configuration.writeCoalesceWindow = window
        case .maxConnections:
            let count = try ConfigValue.integer(value)
            guard count >= 1 else {
                throw ConfigValueError("must be at least 1, got \(ConfigValue.quoted(value))")
            }
            configuration.maxConnections = count
        case .maxConnectionsPerUser:
            let count = try ConfigValue.integer(value)
            guard count >= 0 else {
                throw ConfigValueError("must be 0 (no limit) or more, got \(ConfigValue.quoted(value))")
            }
            configuration.maxConnectionsPerUser = count == 0 ? nil : count
        case .handshakeTimeout:
            configuration.handshakeTimeout = try Self.positiveDuration(value)
        case .pingInterval:
            let interval = try ConfigValue.duration(value)
            configuration.pingInterval = interval == .zero ? nil : interval
        case .idleTimeout:
            let timeout = try ConfigValue.duration(value)
            configuration.idleTimeout = timeout == .zero ? nil : timeout
        case .closeTimeout:
            configuration.closeTimeout = try Self.positiveDuration(value)
        case .drainTimeout:
            configuration.drainTimeout = try Self.positiveDuration(value)
        case .eventLoops:
            let count = try ConfigValue.integer(value)
            guard count <= Self.maximumEventLoops else {
                throw ConfigValueError("must be from 0 (one per CPU) to \(Self.maximumEventLoops), got \(ConfigValue.quoted(value))")
            }
            configuration.eventLoops = count
        case .brokerReconnectMax:
            let cap = try ConfigValue.duration(value)
            guard Self.brokerReconnectMaxRange.contains(cap) else {
                throw ConfigValueError("must be from 10ms to 10s, got \(ConfigValue.quoted(value))")
            }
            configuration.brokerReconnectMax = cap
        case .brokerHealthInterval:
            let interval = try ConfigValue.duration(value)
            guard interval == .zero || Self.brokerHealthIntervalRange.contains(interval) else {
                throw ConfigValueError("must be 0 (off) or from 100ms to 1h, got \(ConfigValue.quoted(value))")
            }
            configuration.brokerHealthInterval = interval == .zero ? nil : interval
        case .brokerProbeInterval:
            let interval = try ConfigValue.duration(value)
            guard interval == .zero || Self.brokerProbeIntervalRange.contains(interval) else {
                throw ConfigValueError("must be 0 (off) or from 100ms to 1h, got \(ConfigValue.quoted(value))")
            }
            configuration.brokerProbeInterval = interval == .zero ? nil : interval
        case .tlsCert, .tlsKey:
            // Empty is unset: plain ws://.
            let path = value.isEmpty ? nil : value
            if key == .tlsCert { configuration.tlsCert = path } else { configuration.tlsKey = path }
        case .presenceTTL:
            configuration.presenceTTL = try Self.duration(value, in: Self.presenceTTLRange, "from 1s to 1h")
        case .presenceHeartbeatInterval:
            configuration.presenceHeartbeatInterval = try Self.duration(value, in: Self.presenceHeartbeatRange, "from 100ms to 10m")
        case .receiptWindow:
            configuration.receiptWindow = try Self.duration(value, in: Self.receiptWindowRange, "from 10ms to 10s")
        case .historySize:
            let size = try ConfigValue.integer(value)
            guard Self.historySizeRange.contains(size) else {
                throw ConfigValueError("must be from 1 to 100000 messages, got \(ConfigValue.quoted(value))")
            }
            configuration.historySize = size
        case .historyTTL:
            let ttl = try ConfigValue.duration(value)
            guard Self.historyTTLRange.contains(ttl) else {
                throw ConfigValueError("must be from 1s to 720h (30 days), got \(ConfigValue.quoted(value))")
            }
            configuration.historyTTL = ttl
        case .historyMetaTTL:
            let ttl = try ConfigValue.duration(value)
            guard Self.historyTTLRange.contains(ttl) else {
                throw ConfigValueError("must be from 1s to 720h (30 days), got \(ConfigValue.quoted(value))")
            }
            configuration.historyMetaTTL = ttl
        case .logLevel:
            configuration.logLevel = try ConfigValue.choice(value, of: LogLevel.self)
        case .logFormat:
            configuration.logFormat = try ConfigValue.choice(value, of: LogFormat.self)
        case .logUser:
            configuration.logUsers = value.isEmpty ? [] : try ConfigValue.list(value)
        case .logSummaryInterval:
            let interval = try ConfigValue.duration(value)
            guard interval == .zero || Self.logSummaryIntervalRange.contains(interval) else {
                throw ConfigValueError("must be 0 (off) or from 1s to 24h, got \(ConfigValue.quoted(value))")
            }
            configuration.logSummaryInterval = interval == .zero ? nil : interval
        }
    }

    private static func size(_ value: String, from minimum: Int, to maximum: Int?) throws(ConfigValueError) -> Int {
        let bytes = try ConfigValue.size(value)
        guard bytes >= minimum, bytes <= maximum ?? Int.max else {
            let range = maximum.map { "from \(ConfigValue.format(bytes: minimum)) to \(ConfigValue.format(bytes: $0))" }
                ?? "at least \(ConfigValue.format(bytes: minimum))"
            throw ConfigValueError("must be \(range), got \(ConfigValue.quoted(value))")
        }
        return bytes
    }

    private static func positiveDuration(_ value: String) throws(ConfigValueError) -> Duration {
        let duration = try ConfigValue.duration(value)
        guard duration > .zero else {
            throw ConfigValueError("must be longer than 0, got \(ConfigValue.quoted(value))")
        }
        return duration
    }
}
