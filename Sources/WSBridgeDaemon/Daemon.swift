#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WSBridgeAdmin
import WSBridgeAppLink
import WSBridgeAuth
import WSBridgeBroker
import WSBridgeConfig
import WSBridgeCore
import WSBridgeEdge
import WSBridgeSystem

/// The composition root: turns a validated configuration into running parts, in dependency order
/// (event loops → admin listener → broker → heartbeats → app socket → WebSocket listener), and stops
/// them in reverse (``StartedParts``).
public final class Daemon: Sendable {
    /// The configuration the daemon started with; ``current`` follows reloads.
    public let configuration: WSBridgeConfiguration
    public let router: Router
    public let broker: any Broker
    public let edge: EdgeContext
    public let appLink: AppLinkContext
    /// The node's presence (counts, writes to Redis, queries, events).
    let presence: PresenceService
    /// Delivery receipts of this node's publishes, and its reports for others'.
    let receipts: ReceiptService
    /// The `/metrics` exposition (and the delivery latency histogram the shards record into).
    public let metrics: WSBridgeMetrics
    /// When the daemon was built, for uptime.
    public let startedAt = NIODeadline.now()
    /// The same moment on the wall clock, seconds since the Unix epoch.
    let startedAtWallClock = Date().timeIntervalSince1970
    let group: MultiThreadedEventLoopGroup
    let ownsGroup: Bool
    let server: WebSocketServer
    let appServer: AppLinkServer
    let logger: Logger
    let notifier = ServiceNotifier()
    let logLevel: LogLevelControl?
    let live: NIOLockedValueBox<WSBridgeConfiguration>
    let statusTask = NIOLockedValueBox<RepeatedTask?>(nil)
    /// The `log_summary_interval` line's task.
    let summaryTask = NIOLockedValueBox<RepeatedTask?>(nil)
    /// Whether READY=1 has been sent.
    let readyAnnounced = NIOLockedValueBox(false)
    let phase = PhaseBox()
    let brokerTraffic = BrokerTraffic()
    /// Bounds the log lines of gaps (a Redis restart can cost every stream its history at once).
    let gapLog = RateLimitedLog()
    /// The admin listener, unless `admin_listen` is off.
    let admin: AdminServer?
    let adminAddressBox = NIOLockedValueBox<SocketAddress?>(nil)
    /// The WebSocket listener's bound address once started (port 0 resolved; nil when adopted from
    /// socket activation without an address).
    let webSocketAddressBox = NIOLockedValueBox<SocketAddress?>(nil)
    /// What is running, and how each part stops.
    let parts = StartedParts()

    /// Builds every part; nothing listens until ``start()``. What can fail (the JWT keys, the TLS files)
    /// is loaded before the event loops are made, so a daemon that cannot be built leaves no thread.
    ///
    /// - Parameters:
    ///   - group: event loops to run on; by default the daemon makes `event_loops` of them and owns them
    ///     (``shutdown()`` stops them).
    ///   - logLevel: the process's shared log level, changed on reload.
    public init(
        configuration: WSBridgeConfiguration, logger: Logger, group: MultiThreadedEventLoopGroup? = nil,
        logLevel: LogLevelControl? = nil
    ) throws {
        let authentication = try Self.authentication(configuration)
        let tls = try Self.makeTLSContext(configuration)
        self.configuration = configuration
        self.live = NIOLockedValueBox(configuration)
        self.logLevel = logLevel
        self.logger = logger
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            let threads = configuration.eventLoops > 0 ? configuration.eventLoops : UsableCPUs.count()
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            self.ownsGroup = true
        }
        let loops = Array(self.group.makeIterator())
        let metrics = WSBridgeMetrics()
        self.metrics = metrics
        let parser = EnvelopeParser(compatUserField: configuration.compatUserField)
        self.broker = Self.makeBroker(configuration, parser: parser, group: self.group, logger: logger)
        let broker = self.broker
        let status = StatusBox(eventLoop: loops[0])
        let presence = PresenceService(
            redis: broker as? any RedisBackedBroker, eventLoop: broker.eventLoop, node: configuration.nodeID,
            ttl: TimeAmount(configuration.presenceTTL), heartbeat: TimeAmount(configuration.presenceHeartbeatInterval),
            routesUsers: configuration.routing == .perUser)
        self.presence = presence
        let receipts = ReceiptService(
            node: configuration.nodeID, channel: configuration.channel, window: TimeAmount(configuration.receiptWindow),
            broker: broker, presence: presence)
        self.receipts = receipts
        let router = Router(
            eventLoops: loops,
            parser: parser,
            logger: logger,
            deliveryLatency: metrics.deliveryLatency,
            writeCoalesceWindow: TimeAmount(configuration.writeCoalesceWindow),
            history: Self.routerHistory(configuration, broker: broker) { gap in status.daemon?.gapFound(gap) },
            presence: presence.ledger,
            receiptCounted: { request, total, users in receipts.counted(request, total: total, users: users) }
        )
        self.router = router
        let traffic = self.brokerTraffic
        let appLink = AppLinkContext(
            settings: AppLinkSettings(configuration),
            router: router,
            version: WSBridgeVersion.string,
            logger: logger,
            publish: { publication in receipts.publish(publication) { traffic.track(broker.publish($0)) } },
            status: { status.render() },
            presence: { users in presence.query(users) },
            presenceListenerAttached: { presence.listenerAttached() }
        )
        self.appLink = appLink
        presence.deliverEvents(to: { event in appLink.announcePresence(event) }, listening: { appLink.hasPresenceListeners })
        self.edge = EdgeContext(
            settings: EdgeSettings(configuration),
            router: router,
            authenticator: Self.makeAuthenticator(authentication, appLink: self.appLink, logger: logger),
            sink: AppClientEventSink(link: self.appLink),
            tls: tls,
            logger: logger,
            unhealthyReason: { broker.unhealthyReason }
        )
        self.server = WebSocketServer(edge: self.edge, group: self.group)
        self.appServer = AppLinkServer(link: self.appLink, group: self.group)
        let group = self.group
        self.admin = configuration.adminListen.map { _ in AdminServer(endpoints: status.adminEndpoints(), group: group) }
        status.daemon = self
        if self.ownsGroup {
            // The first part, so the last to stop.
            self.parts.started("event loops") { try? await group.shutdownGracefully() }
        }
    }
}
