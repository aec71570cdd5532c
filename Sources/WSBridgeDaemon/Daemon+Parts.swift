import Logging
import NIOCore
import NIOPosix
import WSBridgeAppLink
import WSBridgeAuth
import WSBridgeBroker
import WSBridgeConfig
import WSBridgeCore
import WSBridgeEdge

extension Daemon {
    /// The embedded broker without `redis`, the Redis broker with it.
    static func makeBroker(_ configuration: WSBridgeConfiguration, group: EventLoopGroup, logger: Logger) -> any Broker {
        guard let endpoint = configuration.redis else {
            return EmbeddedBroker(eventLoop: group.next())
        }
        return RedisBroker(
            target: RedisConnectionTarget(endpoint),
            channel: configuration.channel,
            eventLoopGroup: group,
            reconnectMax: TimeAmount(configuration.brokerReconnectMax),
            healthInterval: configuration.brokerHealthInterval.map(TimeAmount.init),
            logger: logger
        )
    }

    static func makeAuthenticator(
        _ configuration: WSBridgeConfiguration, appLink: AppLinkContext, logger: Logger
    ) throws -> any HandshakeAuthenticator {
        switch configuration.auth {
        case .insecureQuery:
            logger.warning(
                "auth mode insecure-query trusts ?user= from anyone: for local development and benchmarks only",
                metadata: ["wsb.auth": "insecure-query"]
            )
            return InsecureQueryAuthenticator()
        case .jwt:
            let verifier = try JWTVerifier(
                hs256Secret: configuration.jwtSecret,
                rs256PublicKeyPEM: configuration.jwtPublicKeyPEM,
                leeway: configuration.jwtLeeway
            )
            return JWTAuthenticator(verifier: verifier)
        case .app:
            return AppAuthenticator(link: appLink)
        }
    }
}

extension RedisConnectionTarget {
    /// The broker's view of a configured Redis endpoint.
    public init(_ endpoint: RedisEndpoint) {
        let address: RedisConnectionTarget.Address
        switch endpoint.address {
        case .tcp(let host, let port): address = .tcp(host: host, port: port)
        case .unix(let path): address = .unix(path: path)
        }
        self.init(address: address, username: endpoint.username, password: endpoint.password, database: endpoint.db)
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
        self.maxMessageBytes = configuration.maxMessageBytes
        self.maxQueueBytes = configuration.maxQueueBytes
        self.maxConnections = configuration.maxConnections
        self.handshakeTimeout = TimeAmount(configuration.handshakeTimeout)
        self.pingInterval = configuration.pingInterval.map(TimeAmount.init)
        self.idleTimeout = configuration.idleTimeout.map(TimeAmount.init)
        self.closeTimeout = TimeAmount(configuration.closeTimeout)
        switch configuration.allowedOrigins {
        case .any: self.origins = .any
        case .only(let origins): self.origins = .only(origins)
        }
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
