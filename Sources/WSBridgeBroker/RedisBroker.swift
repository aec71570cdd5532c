import Logging
import NIOCore

/// The Redis broker: every host `SUBSCRIBE`s to one channel and `PUBLISH`es to it.
///
/// ```
///                   ┌── subscriber connection: [AUTH] SUBSCRIBE channel ──▶ handler.received(batch)
///  RedisBroker ─────┤
///  (one event loop) └── publisher connection:  [AUTH] [SELECT db] PING, then PUBLISH channel msg (pipelined)
/// ```
///
/// - Both connections run on one event loop of the group, with the pipeline
///   `ByteToMessageHandler(RESPDecoder)` → `MessageToByteHandler(RESPCommandEncoder)` → role handler.
/// - Losing either connection (EOF, error, `CLIENT KILL`, a server restart) is logged at warning and
///   repaired: the first retry is immediate, later ones back off exponentially with full jitter up to
///   `reconnectMax`; a successful link resets the backoff. A broker that cannot reach Redis at start
///   runs the same loop, so ``start(handler:)`` never blocks or fails. `AUTH` refusals are logged at
///   error and retried with the same (capped) backoff.
/// - ``isLinked`` follows the subscription; `handler.linkChanged` reports each change.
/// - ``publish(_:)`` fails at once with ``RedisBrokerError/notConnected`` while the publisher connection
///   is down; it never queues while disconnected.
/// - `connectTimeout` bounds each attempt: TCP/Unix connect plus the handshake.
/// - `healthInterval` catches a linked connection that went silent (half-open socket, frozen server):
///   after that long without reading anything it sends `PING`, and closes the connection as
///   ``RedisConnectionLoss/unresponsive(after:)`` if nothing is read for as long again; the loss is then
///   repaired like any other (see ``RedisHealthCheck``, ``healthTimeoutCount``).
/// - Call ``shutdown()`` before the event loop group shuts down: until then the broker keeps reconnecting.
public final class RedisBroker: Broker {
    public let displayName: String

    private let eventLoop: EventLoop
    private let counters = RedisBrokerCounters()
    private let core: NIOLoopBoundBox<RedisBrokerCore>

    /// - Parameters:
    ///   - target: where Redis is and how to log in.
    ///   - channel: the pub/sub channel every host shares (for example `websocket:sendMsgTopic`).
    ///   - eventLoopGroup: the broker uses one event loop of it for both connections and all callbacks.
    ///   - reconnectMax: the longest wait between two reconnection attempts.
    ///   - connectTimeout: the longest one attempt (connect plus handshake) may take.
    ///   - healthInterval: silence on a linked connection before a `PING`, and then before it is declared
    ///     dead; `nil` turns the health check off.
    ///   - logger: metadata `wsb.redis` (the target, without password) is added to every entry.
    public init(
        target: RedisConnectionTarget,
        channel: String,
        eventLoopGroup: EventLoopGroup,
        reconnectMax: TimeAmount = .seconds(5),
        connectTimeout: TimeAmount = .seconds(2),
        healthInterval: TimeAmount? = .seconds(5),
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
            reconnectMax: reconnectMax,
            connectTimeout: connectTimeout,
            healthInterval: healthInterval,
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

    public func start(handler: BrokerHandler) {
        self.eventLoop.execute {
            self.core.value.start(handler: handler)
        }
    }

    public func publish(_ message: ByteBuffer) -> EventLoopFuture<Void> {
        if self.eventLoop.inEventLoop {
            return self.core.value.publish(message)
        }
        return self.eventLoop.flatSubmit {
            self.core.value.publish(message)
        }
    }

    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit {
            self.core.value.shutdown()
        }
    }
}

/// The loop-confined part of ``RedisBroker``: both connections, created by ``start(handler:)``.
final class RedisBrokerCore {
    struct Settings {
        var target: RedisConnectionTarget
        var channel: String
        var reconnectMax: TimeAmount
        var connectTimeout: TimeAmount
        var healthInterval: TimeAmount?
        var logger: Logger
    }

    private let settings: Settings
    private let eventLoop: EventLoop
    private let counters: RedisBrokerCounters
    private var subscriber: RedisSubscriber?
    private var publisher: RedisPublisher?
    private var isShutDown = false

    init(settings: Settings, eventLoop: EventLoop, counters: RedisBrokerCounters) {
        self.settings = settings
        self.eventLoop = eventLoop
        self.counters = counters
    }

    func start(handler: BrokerHandler) {
        guard !self.isShutDown, self.subscriber == nil else {
            self.settings.logger.warning("RedisBroker.start called twice or after shutdown; ignored")
            return
        }
        let backoff = ReconnectBackoff(cap: self.settings.reconnectMax)
        let subscriber = RedisSubscriber(
            target: self.settings.target,
            channel: self.settings.channel,
            eventLoop: self.eventLoop,
            connectTimeout: self.settings.connectTimeout,
            healthInterval: self.settings.healthInterval,
            backoff: backoff,
            logger: self.settings.logger,
            counters: self.counters,
            handler: handler
        )
        let publisher = RedisPublisher(
            target: self.settings.target,
            channel: self.settings.channel,
            eventLoop: self.eventLoop,
            connectTimeout: self.settings.connectTimeout,
            healthInterval: self.settings.healthInterval,
            backoff: backoff,
            logger: self.settings.logger,
            counters: self.counters
        )
        self.subscriber = subscriber
        self.publisher = publisher
        self.settings.logger.info("Starting Redis broker")
        subscriber.start()
        publisher.start()
    }

    func publish(_ message: ByteBuffer) -> EventLoopFuture<Void> {
        guard !self.isShutDown else {
            return self.eventLoop.makeFailedFuture(RedisBrokerError.shutDown)
        }
        guard let publisher = self.publisher else {
            return self.eventLoop.makeFailedFuture(RedisBrokerError.notConnected)
        }
        return publisher.publish(message)
    }

    /// Stops both connections: no reconnects, pending publishes fail, no `received` afterwards.
    func shutdown() -> EventLoopFuture<Void> {
        guard !self.isShutDown else {
            return self.eventLoop.makeSucceededVoidFuture()
        }
        self.isShutDown = true
        let closed = [self.subscriber?.stop(), self.publisher?.stop()].compactMap { $0 }
        self.settings.logger.info("Redis broker shut down")
        return EventLoopFuture.andAllComplete(closed, on: self.eventLoop)
    }
}

@available(*, unavailable)
extension RedisBrokerCore: Sendable {}
