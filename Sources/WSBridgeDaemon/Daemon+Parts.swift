import Logging
import NIOCore
import NIOPosix
import NIOSSL
import WSBridgeAppLink
import WSBridgeAuth
import WSBridgeBroker
import WSBridgeConfig
import WSBridgeCore
import WSBridgeEdge

extension Daemon {
    /// The embedded broker without `redis` or `redis_cluster`, the Redis broker with `redis`, the Redis
    /// Cluster broker with `redis_cluster`; all publish durably with the history settings
    /// (`history_size`, `history_ttl`, `history_meta_ttl`).
    static func makeBroker(
        _ configuration: WSBridgeConfiguration, parser: EnvelopeParser, group: EventLoopGroup, logger: Logger
    ) -> any Broker {
        if let seeds = configuration.redisCluster {
            return RedisClusterBroker(
                seeds: seeds.map(RedisConnectionTarget.init),
                channel: configuration.channel,
                library: RedisFunctionLibrary(configuration),
                eventLoopGroup: group,
                reconnectMax: TimeAmount(configuration.brokerReconnectMax),
                healthInterval: configuration.brokerHealthInterval.map(TimeAmount.init),
                probe: configuration.brokerProbeInterval.map {
                    RedisBroker.Probe(channel: Self.probeChannel(configuration), interval: TimeAmount($0))
                },
                sideChannels: Self.sideChannels(configuration),
                logger: logger
            )
        }
        guard let endpoint = configuration.redis else {
            let history = EmbeddedBrokerHistorySettings(
                size: configuration.historySize, ttl: TimeAmount(configuration.historyTTL),
                metaTTL: TimeAmount(configuration.historyMetaTTL))
            return EmbeddedBroker(eventLoop: group.next(), history: history) { message in
                guard case .success(let envelope) = parser.parse(message) else { return nil }
                return envelope.streams.map(\.name)
            }
        }
        return RedisBroker(
            target: RedisConnectionTarget(endpoint),
            channel: configuration.channel,
            library: RedisFunctionLibrary(configuration),
            eventLoopGroup: group,
            reconnectMax: TimeAmount(configuration.brokerReconnectMax),
            healthInterval: configuration.brokerHealthInterval.map(TimeAmount.init),
            probe: configuration.brokerProbeInterval.map {
                RedisBroker.Probe(channel: Self.probeChannel(configuration), interval: TimeAmount($0))
            },
            sideChannels: Self.sideChannels(configuration),
            logger: logger
        )
    }

    /// The channels besides the main one every host subscribes to: presence events, its receipt reports.
    static func sideChannels(_ configuration: WSBridgeConfiguration) -> [String] {
        [
            PresenceService.eventChannel(configuration.channel),
            ReceiptService.reportChannel(configuration.channel, node: configuration.nodeID),
        ]
    }

    /// The node's own liveness-probe channel.
    static func probeChannel(_ configuration: WSBridgeConfiguration) -> String {
        "\(configuration.channel):probe:\(configuration.nodeID)"
    }

    /// Where the router's stream tracker reads the broker's history. The positions are read again every
    /// third of `history_meta_ttl`, which keeps them alive while their users are connected.
    static func routerHistory(
        _ configuration: WSBridgeConfiguration, broker: any Broker, onGap: @escaping @Sendable (StreamGap) -> Void
    ) -> RouterHistory {
        RouterHistory(
            eventLoop: broker.eventLoop,
            fetch: { requests in
                let queries = requests.map { HistoryQuery(stream: $0.stream.name, since: $0.since?.description) }
                return broker.history(queries)
                    .map { slices in
                        slices.map { StreamTracker.HistoryReply(epoch: $0.epoch, top: $0.top, first: $0.first, entries: $0.entries) }
                    }
                    .flatMapErrorThrowing { error in
                        switch error {
                        case let error as RedisBrokerError where error == .historyUnavailable:
                            throw HistoryFailure.unavailable
                        case is EmbeddedBrokerError:
                            throw HistoryFailure.unavailable
                        default:
                            throw HistoryFailure.failed("\(error)")
                        }
                    }
            },
            auditInterval: .nanoseconds(TimeAmount(configuration.historyMetaTTL).nanoseconds / 3),
            onGap: onGap
        )
    }

    /// The WebSocket listener's TLS context with `tls_cert` and `tls_key`, nil without them.
    static func makeTLSContext(_ configuration: WSBridgeConfiguration) throws(TLSFileError) -> NIOSSLContext? {
        guard let certificate = configuration.tlsCert, let key = configuration.tlsKey else { return nil }
        return try TLSFiles.context(certificate: certificate, key: key)
    }

    /// The `auth` mode with what can fail already built (the JWT keys), so that a daemon that cannot be
    /// built fails before anything runs.
    enum Authentication {
        case insecureQuery
        case jwt(JWTVerifier)
        case app
    }

    /// The configuration's `auth` mode; a JWT key error is named like a config file's: which key, and
    /// what is wrong with it.
    static func authentication(_ configuration: WSBridgeConfiguration) throws(ConfigError) -> Authentication {
        switch configuration.auth {
        case .insecureQuery:
            return .insecureQuery
        case .app:
            return .app
        case .jwt:
            do {
                return .jwt(try JWTVerifier(configuration))
            } catch {
                throw ConfigError(source: "configuration", key: error.configKey.rawValue, message: error.message)
            }
        }
    }

    static func makeAuthenticator(_ authentication: Authentication, appLink: AppLinkContext, logger: Logger) -> any HandshakeAuthenticator {
        switch authentication {
        case .insecureQuery:
            logger.warning(
                "auth mode insecure-query trusts ?user= from anyone: for local development and benchmarks only",
                metadata: ["wsb.auth": "insecure-query"]
            )
            return InsecureQueryAuthenticator()
        case .jwt(let verifier):
            return JWTAuthenticator(verifier: verifier)
        case .app:
            return AppAuthenticator(link: appLink)
        }
    }
}

extension JWTVerifier {
    /// The verifier `auth = jwt` uses: the configuration's keys and claim rules.
    public init(_ configuration: WSBridgeConfiguration) throws(JWTKeyError) {
        try self.init(
            hs256Secret: configuration.jwtSecret,
            rs256PublicKeyPEM: configuration.jwtPublicKeyPEM,
            jwks: configuration.jwtJWKS,
            leeway: configuration.jwtLeeway,
            requireExpiry: configuration.jwtRequireExp,
            issuer: configuration.jwtIssuer,
            audiences: configuration.jwtAudiences)
    }
}

extension JWTKeyError {
    /// The config key whose value is wrong.
    public var configKey: ConfigKey {
        switch self.code {
        case .noKey: return .auth
        case .emptySecret: return .jwtSecret
        case .badPEM: return .jwtPublicKeyFile
        case .negativeLeeway: return .jwtLeeway
        case .badJWKS: return .jwtJWKSFile
        }
    }
}

extension RedisFunctionLibrary {
    /// The library with this configuration's channel, history settings and compatibility field.
    public init(_ configuration: WSBridgeConfiguration) {
        self.init(
            channel: configuration.channel, historySize: configuration.historySize,
            historyTTLMilliseconds: TimeAmount(configuration.historyTTL).nanoseconds / 1_000_000,
            metaTTLMilliseconds: TimeAmount(configuration.historyMetaTTL).nanoseconds / 1_000_000,
            compatUserField: configuration.compatUserField, perUserRouting: configuration.routing == .perUser)
    }
}

extension Envelope {
    /// The history streams a message is in.
    var streams: [StreamID] {
        switch self.target {
        case .user(let user): [.user(user)]
        case .users(let users): users.map { .user($0) }
        case .all: [.all]
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension EdgeSettings {
    init(_ configuration: WSBridgeConfiguration) {
        self.init()
        self.path = configuration.wsPath
        self.eventStreamPath = configuration.ssePath
        self.maxMessageBytes = configuration.maxMessageBytes
        self.maxMessageFragments = configuration.maxMessageFragments
        self.maxRequestHeadBytes = configuration.maxRequestHeadBytes
        self.maxClientMessagesPerSecond = configuration.maxClientMessagesPerSecond
        self.maxQueueBytes = configuration.maxQueueBytes
        self.permessageDeflate = configuration.permessageDeflate
        self.deflateMinBytes = configuration.deflateMinBytes
        self.maxConnections = configuration.maxConnections
        self.maxConnectionsPerUser = configuration.maxConnectionsPerUser
        self.handshakeTimeout = TimeAmount(configuration.handshakeTimeout)
        self.pingInterval = configuration.pingInterval.map(TimeAmount.init)
        self.idleTimeout = configuration.idleTimeout.map(TimeAmount.init)
        self.closeTimeout = TimeAmount(configuration.closeTimeout)
        switch configuration.allowedOrigins {
        case .any: self.origins = .any
        case .only(let origins): self.origins = .only(origins)
        }
        self.tracedUsers = Set(configuration.logUsers)
        self.trustedProxies = TrustedProxies(
            configuration.trustedProxies.map { TrustedProxies.Network(address: $0.address, prefixLength: $0.prefixLength) })
    }
}

extension AppLinkSettings {
    init(_ configuration: WSBridgeConfiguration) {
        self.init()
        self.nodeID = configuration.nodeID
        self.socketMode = configuration.appSocketMode
        self.maxFrameBytes = configuration.maxFrameBytes
        self.maxQueueBytes = configuration.appMaxQueueBytes
        self.connectTimeout = TimeAmount(configuration.connectTimeout)
        self.allowedUIDs = configuration.appAllowedUIDs
    }
}
