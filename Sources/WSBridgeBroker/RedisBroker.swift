import Logging
import NIOCore

/// The Redis broker: every host `SUBSCRIBE`s to one channel; publishes go through the `wsbridge`
/// function library (durable, with history) or plain `PUBLISH`.
///
/// ```
///                   ┌── subscriber connection: [AUTH] SUBSCRIBE channel probe ──▶ handler.received(batch)
///  RedisBroker ─────┤
///  (one event loop) └── command connection:    [AUTH] [SELECT db] PING, library check, then
///                                              FCALL wsbridge_publish / wsbridge_history, probes (pipelined)
/// ```
///
/// - Both connections run on one event loop of the group, with the pipeline
///   `ByteToMessageHandler(RESPDecoder)` → `MessageToByteHandler(RESPCommandEncoder)` → role handler.
/// - Losing either connection (EOF, error, `CLIENT KILL`, a server restart) is logged at warning and
///   repaired: the first retry is immediate, later ones wait a jittered delay that grows to at most
///   `reconnectMax` (250 ms by default), so a subscription is back within about that long of Redis
///   answering again, however long it was away. A broker that cannot reach Redis at start runs the same
///   loop, so ``start(handler:)`` never blocks or fails. `AUTH` refusals are logged at error.
/// - ``isLinked`` follows the subscription; `handler.linkChanged` reports each change.
/// - ``publish(_:)`` fails at once with ``RedisBrokerError/notConnected`` while the command connection
///   is down; it never queues while disconnected.
/// - `connectTimeout` bounds each attempt: TCP/Unix connect plus the handshake.
/// - `healthInterval` catches a linked connection that went silent (half-open socket, frozen server):
///   after that long without reading anything it sends `PING`, and closes the connection as
///   ``RedisConnectionLoss/unresponsive(after:)`` if nothing is read for as long again; the loss is then
///   repaired like any other (see ``RedisHealthCheck``, ``healthTimeoutCount``).
/// - `probe` (the channel and interval) checks the subscription end to end (see ``RedisProbe``): a probe
///   that does not come back rebuilds the subscription and makes ``isHealthy`` false until one does.
/// - Call ``shutdown()`` before the event loop group shuts down: until then the broker keeps reconnecting.
public final class RedisBroker: Broker {
    public let displayName: String
    public let eventLoop: EventLoop

    private let counters = RedisBrokerCounters()
    private let core: NIOLoopBoundBox<RedisBrokerCore>

    /// The liveness probe's settings.
    public struct Probe: Sendable {
        /// A channel of this node alone (the daemon uses `<channel>:probe:<node_id>`).
        public var channel: String
        public var interval: TimeAmount

        public init(channel: String, interval: TimeAmount) {
            self.channel = channel
            self.interval = interval
        }
    }

    /// - Parameters:
    ///   - target: where Redis is and how to log in.
    ///   - channel: the pub/sub channel every host shares (for example `websocket:sendMsgTopic`).
    ///   - library: the function library to load and use (durable publishing, history); nil publishes
    ///     with plain `PUBLISH` and has no history.
    ///   - libraryPolicy: whether a library of other settings already in Redis is replaced.
    ///   - eventLoopGroup: the broker uses one event loop of it for both connections and all callbacks.
    ///   - reconnectMax: the longest wait between two reconnection attempts.
    ///   - connectTimeout: the longest one attempt (connect plus handshake) may take.
    ///   - healthInterval: silence on a linked connection before a `PING`, and then before it is declared
    ///     dead; `nil` turns the health check off.
    ///   - connectSummaryInterval: while attempts keep failing for the same reason, it is logged once,
    ///     then summarised this often (the attempts between at debug).
    ///   - probe: the liveness probe; nil turns it off.
    ///   - subscribes: false for a broker that only sends (`wsbridge publish`): no subscriber connection.
    ///   - sideChannels: more channels to subscribe to (presence events); their messages go to the
    ///     handler's `sideReceived`, never to `received`.
    ///   - logger: metadata `wsb.redis` (the target, without password) is added to every entry.
    public init(
        target: RedisConnectionTarget,
        channel: String,
        library: RedisFunctionLibrary? = nil,
        libraryPolicy: RedisLibraryPolicy = .replace,
        eventLoopGroup: EventLoopGroup,
        reconnectMax: TimeAmount = .milliseconds(250),
        connectTimeout: TimeAmount = .seconds(2),
        healthInterval: TimeAmount? = .seconds(5),
        connectSummaryInterval: TimeAmount = .seconds(30),
        probe: Probe? = nil,
        subscribes: Bool = true,
        sideChannels: [String] = [],
        logger: Logger
    ) {
        var logger = logger
        logger[metadataKey: "wsb.redis"] = "\(target.displayName)"
        logger[metadataKey: "wsb.redis_channel"] = "\(channel)"
        self.displayName = target.displayName
        self.eventLoop = eventLoopGroup.next()
        let settings = RedisBrokerCore.Settings(
            target: target,
            channel: channel,
            library: library,
            libraryPolicy: libraryPolicy == .replace ? .replace : .loadIfAbsent,
            reconnectMax: reconnectMax,
            connectTimeout: connectTimeout,
            healthInterval: healthInterval,
            connectSummaryInterval: connectSummaryInterval,
            probe: probe,
            subscribes: subscribes,
            sideChannels: sideChannels,
            logger: logger
        )
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            RedisBrokerCore(settings: settings, eventLoop: self.eventLoop, counters: self.counters),
            eventLoop: self.eventLoop
        )
    }

    /// Whether the subscription is established right now.
    public var isLinked: Bool {
        self.counters.isLinked.load(ordering: .acquiring)
    }

    /// Linked, and the last liveness probe (if any) came back.
    public var isHealthy: Bool { self.counters.isHealthy }

    public var unhealthyReason: String? { self.counters.unhealthyReason }

    /// Whether the command connection is linked right now (for `wsbridge publish`).
    public var isConnected: Bool {
        self.counters.publisherLinked.load(ordering: .acquiring)
    }

    /// While the command connection is not linked: why its last attempt failed, in words
    /// (`connection refused (nothing listens) at 127.0.0.1:6391`, `Redis refused the password
    /// (WRONGPASS): ...`); `nil` once linked (the link clears it), and before an attempt has failed.
    public var connectFailure: String? {
        self.counters.lastAttemptFailure.withLockedValue { $0 }
    }

    /// Whether publishes are durable on the current link (the function library is usable).
    public var isDurable: Bool {
        self.counters.hasLibrary.load(ordering: .relaxed)
    }

    /// How many times a lost connection (subscriber or publisher) has been re-established.
    public var reconnectCount: Int {
        self.counters.reconnects.load(ordering: .relaxed)
    }

    /// How many pushes on the subscription were not a `message` for the channel (and were ignored).
    public var ignoredPushCount: Int {
        self.counters.ignoredPushes.load(ordering: .relaxed)
    }

    /// How many linked connections the health check closed because Redis stopped answering.
    public var healthTimeoutCount: Int {
        self.counters.healthTimeouts.load(ordering: .relaxed)
    }

    /// Per-user routing: the users whose sharded channels are subscribed, and the commands sent for them.
    public var userChannelCount: Int { self.counters.userChannels.load(ordering: .relaxed) }
    public var userSubscriptionCommandCount: Int { self.counters.userSubscriptionCommands.load(ordering: .relaxed) }

    /// Liveness probes missed (each rebuilt the subscription) and passed, since start.
    public var probeMissCount: Int { self.counters.probeMisses.load(ordering: .relaxed) }
    public var probePassCount: Int { self.counters.probePasses.load(ordering: .relaxed) }

    /// The round trip of the last probe that came back; zero before the first.
    public var lastProbeRoundTrip: TimeAmount {
        .nanoseconds(self.counters.lastProbeRoundTrip.load(ordering: .relaxed))
    }

    public func start(handler: BrokerHandler) {
        self.eventLoop.execute {
            self.core.value.start(handler: handler)
        }
    }

    public func publish(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        self.onLoop { $0.publish(message) }
    }

    /// Publishes with plain `PUBLISH` even where the library is usable (best effort, no history).
    public func publishBestEffort(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        self.onLoop { $0.publishBestEffort(message) }
    }

    public func history(_ queries: [HistoryQuery]) -> EventLoopFuture<[HistorySlice]> {
        self.onLoop { $0.history(queries) }
    }

    public func route(added: [String], removed: [String]) {
        self.eventLoop.execute {
            self.core.value.route(added: added, removed: removed)
        }
    }

    /// Any command on the command connection (tests, tools); the future has Redis' reply.
    public func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        self.onLoop { $0.send(command) }
    }

    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit {
            self.core.value.shutdown()
        }
    }

    func onLoop<T: Sendable>(_ body: @escaping @Sendable (RedisBrokerCore) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if self.eventLoop.inEventLoop {
            return body(self.core.value)
        }
        return self.eventLoop.flatSubmit {
            body(self.core.value)
        }
    }
}

/// Whether a publisher link replaces a function library of other settings it finds in Redis.
public enum RedisLibraryPolicy: Sendable {
    /// The daemon: its settings win (an older version or other settings are replaced).
    case replace
    /// A one-shot tool: load one only when Redis has none.
    case loadIfAbsent
}

/// The loop-confined part of ``RedisBroker``: both connections, created by ``start(handler:)``.
final class RedisBrokerCore {
    struct Settings {
        var target: RedisConnectionTarget
        var channel: String
        var library: RedisFunctionLibrary?
        var libraryPolicy: RedisHandshake.LibraryPolicy
        var reconnectMax: TimeAmount
        var connectTimeout: TimeAmount
        var healthInterval: TimeAmount?
        var connectSummaryInterval: TimeAmount
        var probe: RedisBroker.Probe?
        var subscribes: Bool
        var sideChannels: [String]
        var logger: Logger
    }

    private let settings: Settings
    private let eventLoop: EventLoop
    private let counters: RedisBrokerCounters
    private var subscriber: RedisSubscriber?
    private var publisher: RedisPublisher?
    private var probe: RedisProbeDriver?
    private var isShutDown = false
    /// Per-user routing: the users whose being held changed this tick, and whether they now are.
    private var routeChanges: [String: Bool] = [:]

    init(settings: Settings, eventLoop: EventLoop, counters: RedisBrokerCounters) {
        self.settings = settings
        self.eventLoop = eventLoop
        self.counters = counters
        self.probe = settings.probe.map {
            RedisProbeDriver(
                interval: $0.interval, repliesCountSubscribers: true, eventLoop: eventLoop, counters: counters, logger: settings.logger)
        }
    }

    func start(handler: BrokerHandler) {
        guard !self.isShutDown, self.publisher == nil else {
            self.settings.logger.warning("RedisBroker.start called twice or after shutdown; ignored")
            return
        }
        let connection = RedisConnectionSettings(
            target: self.settings.target,
            eventLoop: self.eventLoop,
            connectTimeout: self.settings.connectTimeout,
            healthInterval: self.settings.healthInterval,
            backoff: ReconnectBackoff(cap: self.settings.reconnectMax),
            summaryInterval: self.settings.connectSummaryInterval,
            logger: self.settings.logger
        )
        let publisher = RedisPublisher(
            connection,
            channel: self.settings.channel,
            library: self.settings.library,
            libraryPolicy: self.settings.libraryPolicy,
            counters: self.counters
        )
        self.publisher = publisher
        if self.settings.subscribes {
            let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
            self.subscriber = RedisSubscriber(
                connection,
                channel: self.settings.channel,
                sideChannels: (self.settings.probe.map { [$0.channel] } ?? []) + self.settings.sideChannels,
                counters: self.counters,
                handler: handler,
                perUserRouting: self.settings.library?.perUserRouting ?? false,
                sideReceived: { [probeChannel = self.settings.probe?.channel] channel, payload in
                    if channel == probeChannel {
                        loopBound.value.probe?.received(payload)
                    } else {
                        handler.sideReceived(channel, payload)
                    }
                }
            )
        }
        self.settings.logger.info("Starting Redis broker")
        self.subscriber?.start()
        publisher.start()
        if let probe = self.probe, let subscriber = self.subscriber, let channel = self.settings.probe?.channel {
            probe.hooks = RedisProbeDriver.Hooks(
                isLinked: { subscriber.isLinked && publisher.isConnected },
                publish: { token in publisher.send(.publish(channel: channel, message: token)) },
                rebuild: { loss in subscriber.restart(because: loss) })
            probe.start()
        }
    }

    /// Collects the changes of one tick, then hands them to the subscriber at once (batched).
    func route(added: [String], removed: [String]) {
        let first = self.routeChanges.isEmpty
        for user in removed { self.routeChanges[user] = false }
        for user in added { self.routeChanges[user] = true }
        guard first, !self.routeChanges.isEmpty else { return }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.eventLoop.execute {
            let core = loopBound.value
            let changes = core.routeChanges
            core.routeChanges = [:]
            core.subscriber?.route(changes)
        }
    }

    func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        guard let publisher = self.usablePublisher() else {
            return self.eventLoop.makeFailedFuture(self.isShutDown ? RedisBrokerError.shutDown : .notConnected)
        }
        return publisher.send(command)
    }

    func publish(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        guard let publisher = self.usablePublisher() else {
            return self.eventLoop.makeFailedFuture(self.isShutDown ? RedisBrokerError.shutDown : .notConnected)
        }
        return publisher.publish(message)
    }

    func publishBestEffort(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        guard let publisher = self.usablePublisher() else {
            return self.eventLoop.makeFailedFuture(self.isShutDown ? RedisBrokerError.shutDown : .notConnected)
        }
        return publisher.publishBestEffort(message)
    }

    /// Publishes once the command connection is linked; fails with the cause when an attempt fails
    /// first, and with ``RedisBrokerError/notConnected`` when `timeout` passes before either.
    func publishWhenLinked(_ message: ByteBuffer, timeout: TimeAmount) -> EventLoopFuture<PublishReceipt> {
        guard let publisher = self.usablePublisher() else {
            return self.eventLoop.makeFailedFuture(self.isShutDown ? RedisBrokerError.shutDown : .notConnected)
        }
        return publisher.linkedOrFailed(within: timeout).assumeIsolated()
            .flatMap { publisher.publish(message) }
            .nonisolated()
    }

    func history(_ queries: [HistoryQuery]) -> EventLoopFuture<[HistorySlice]> {
        guard let publisher = self.usablePublisher() else {
            return self.eventLoop.makeFailedFuture(self.isShutDown ? RedisBrokerError.shutDown : .notConnected)
        }
        return publisher.history(queries)
    }

    private func usablePublisher() -> RedisPublisher? {
        self.isShutDown ? nil : self.publisher
    }

    /// Stops both connections: no reconnects, pending publishes fail, no `received` afterwards.
    func shutdown() -> EventLoopFuture<Void> {
        guard !self.isShutDown else {
            return self.eventLoop.makeSucceededVoidFuture()
        }
        self.isShutDown = true
        self.probe?.stop()
        let closed = [self.subscriber?.stop(), self.publisher?.stop()].compactMap { $0 }
        self.settings.logger.info("Redis broker shut down")
        return EventLoopFuture.andAllComplete(closed, on: self.eventLoop)
    }
}

@available(*, unavailable)
extension RedisBrokerCore: Sendable {}
