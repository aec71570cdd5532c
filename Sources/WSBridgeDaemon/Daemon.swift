import Logging
import NIOCore
import NIOPosix
import WSBridgeAppLink
import WSBridgeAuth
import WSBridgeBroker
import WSBridgeConfig
import WSBridgeCore
import WSBridgeEdge

/// The composition root: turns a validated configuration into running parts, in dependency order
/// (event loops → registry → broker → WebSocket listener), and stops them in reverse.
public final class Daemon: Sendable {
    public let configuration: WSBridgeConfiguration
    public let router: Router
    public let broker: any Broker
    public let edge: EdgeContext
    public let appLink: AppLinkContext
    /// When the daemon was built, for uptime.
    public let startedAt = NIODeadline.now()
    private let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let server: WebSocketServer
    private let appServer: AppLinkServer
    private let logger: Logger

    /// Builds every part; nothing listens until ``start()``.
    ///
    /// - Parameters:
    ///   - group: event loops to run on; by default the daemon makes `event_loops` of them and owns them.
    public init(configuration: WSBridgeConfiguration, logger: Logger, group: MultiThreadedEventLoopGroup? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            let threads = configuration.eventLoops > 0 ? configuration.eventLoops : System.coreCount
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            self.ownsGroup = true
        }
        let loops = Array(self.group.makeIterator())
        let router = Router(
            eventLoops: loops,
            parser: EnvelopeParser(compatUserField: configuration.compatUserField),
            logger: logger
        )
        self.router = router
        self.broker = Self.makeBroker(configuration, group: self.group, logger: logger)
        let broker = self.broker
        let status = StatusBox()
        self.appLink = AppLinkContext(
            settings: AppLinkSettings(configuration),
            router: router,
            version: WSBridgeVersion.string,
            logger: logger,
            publish: { broker.publish($0) },
            status: { status.render() }
        )
        self.edge = EdgeContext(
            settings: EdgeSettings(configuration),
            router: router,
            authenticator: try Self.makeAuthenticator(configuration, appLink: self.appLink, logger: logger),
            sink: AppClientEventSink(link: self.appLink),
            logger: logger,
            isHealthy: { broker.isLinked }
        )
        self.server = WebSocketServer(edge: self.edge, group: self.group)
        self.appServer = AppLinkServer(link: self.appLink, group: self.group)
        status.daemon = self
    }

    /// Links the broker, starts the heartbeats and binds the WebSocket listener. Returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress? {
        let router = self.router
        let source: DeliverySource = self.broker is EmbeddedBroker ? .embedded : .redis
        let logger = self.logger
        let brokerName = self.broker.displayName
        self.broker.start(
            handler: BrokerHandler(
                received: { messages in router.route(messages, source: source) },
                linkChanged: { linked in
                    if linked {
                        logger.info("broker linked", metadata: ["wsb.broker": "\(brokerName)"])
                    } else {
                        logger.warning("broker link down", metadata: ["wsb.broker": "\(brokerName)"])
                    }
                }
            )
        )
        let interval = self.edge.settings.heartbeatInterval
        _ = try await router.collect { shard in shard.startHeartbeat(interval: interval) }.get()

        try await self.appServer.bind(path: self.configuration.appSocket)

        let listen = self.configuration.listen
        let address = try await self.server.bind(host: listen.host, port: listen.port).get()
        self.logger.notice(
            "listening",
            metadata: [
                "wsb.listener": "websocket",
                "wsb.address": "\(address.map(Self.hostPort) ?? listen.description)",
                "wsb.path": "\(self.configuration.wsPath)",
                "wsb.broker": "\(brokerName)",
                "wsb.auth": "\(self.configuration.auth.rawValue)",
                "wsb.node": "\(self.configuration.nodeID)",
                "wsb.event_loops": "\(router.eventLoops.count)",
            ]
        )
        return address
    }

    /// Publishes a raw channel message (an envelope) to every host through the broker.
    public func publish(_ message: ByteBuffer) -> EventLoopFuture<Void> {
        self.broker.publish(message)
    }

    /// Stops accepting, closes every WebSocket with 1001, unlinks the broker and stops the event loops.
    public func shutdown() async {
        self.logger.notice("shutting down")
        try? await self.server.stopAccepting().get()
        await self.appServer.stopAccepting()
        _ = try? await self.router.collect { shard in
            shard.stopHeartbeat()
            for session in shard.allSessions {
                (session as? WebSocketConnection)?.close(.goingAway, reason: "server shutting down")
            }
        }.get()
        try? await self.broker.shutdown().get()
        if self.ownsGroup {
            try? await self.group.shutdownGracefully()
        }
    }

    static func hostPort(_ address: SocketAddress) -> String {
        guard let port = address.port, let ip = address.ipAddress else { return "\(address)" }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
