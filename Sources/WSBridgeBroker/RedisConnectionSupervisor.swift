import Logging
import NIOCore
import NIOPosix

/// Keeps one Redis connection (the subscriber's or the publisher's) alive: connect, handshake, and on any
/// failure or loss reconnect with ``ReconnectBackoff``. Confined to one event loop; not `Sendable`.
///
/// ```
///            start()                        handshake complete
///   idle ───────────▶ connecting(gen) ─────────────────────────▶ linked(gen)
///                      ▲        │ connect error, AUTH refused,         │ EOF, error, CLIENT KILL,
///                      │        │ timeout (whole attempt)               │ server restart
///         timer fires  │        ▼                                       ▼
///                     waiting(timer) ◀──── backoff delay ─────── (first retry: delay 0)
///
///   any state ── stop() ──▶ stopped        (events of older generations are ignored)
/// ```
///
/// Each attempt gets a new generation number; the handler of that attempt's channel reports through
/// ``Events`` tagged with it, so a late event from an abandoned channel changes nothing.
final class RedisConnectionSupervisor {
    /// Which connection this is, for logs.
    enum Role: String {
        case subscriber
        case publisher
    }

    /// What the connection's handler reports back; every closure is bound to one attempt.
    struct Events {
        /// The handshake completed: the connection is usable.
        var linked: (Channel) -> Void
        /// The channel went inactive (or the handshake failed and the handler closed it).
        var closed: (RedisConnectionLoss) -> Void
        /// Whether this attempt is still the current, linked one (delivery is allowed).
        var isCurrent: () -> Bool
    }

    private enum State {
        case idle
        case connecting(generation: Int, channel: Channel?, deadline: Scheduled<Void>)
        case linked(generation: Int, channel: Channel)
        case waiting(Scheduled<Void>)
        case stopped
    }

    let role: Role
    private let target: RedisConnectionTarget
    /// Where each attempt connects (see ``RedisConnectionSettings/address``), and where the current one
    /// went.
    private let addressForAttempt: ((_ failedAttempts: Int) -> RedisConnectionTarget.Address)?
    private var attemptAddress: RedisConnectionTarget.Address
    private let eventLoop: EventLoop
    private let connectTimeout: TimeAmount
    private let logger: Logger
    private let makeHandler: (Events) -> ChannelHandler
    private var backoff: ReconnectBackoff
    private var state = State.idle
    private var generation = 0
    private var hasLinkedBefore = false
    /// Attempts that failed since the last link (or the start), for logs.
    private var failedAttempts = 0
    /// The cause the log last reported for the failing attempts, when, and the attempt it was at.
    private var reported: (cause: String, at: NIODeadline, attempt: Int)?
    /// While attempts keep failing for the same cause, it is logged once, then summarised this often
    /// (the attempts between at debug): a long outage stays visible without flooding the log. A new
    /// cause is logged at once.
    private let summaryInterval: TimeAmount

    /// Called when the connection becomes usable (after the handshake).
    var onLinked: (Channel, _ isReconnect: Bool) -> Void = { _, _ in }
    /// Called when a usable connection is lost (not when an attempt fails, nor on ``stop()``), with why.
    var onLost: (RedisConnectionLoss) -> Void = { _ in }
    /// Called when an attempt fails before it is linked, with why, in words.
    var onAttemptFailed: (String) -> Void = { _ in }

    init(role: Role, settings: RedisConnectionSettings, makeHandler: @escaping (Events) -> ChannelHandler) {
        self.role = role
        self.summaryInterval = settings.summaryInterval
        self.target = settings.target
        self.addressForAttempt = settings.address
        self.attemptAddress = settings.target.address
        self.eventLoop = settings.eventLoop
        self.connectTimeout = settings.connectTimeout
        self.backoff = settings.backoff
        var logger = settings.logger
        logger[metadataKey: "wsb.redis_conn"] = "\(role.rawValue)"
        self.logger = logger
        self.makeHandler = makeHandler
    }

    /// Whether ``stop()`` was called: it never connects again.
    var isStopped: Bool {
        if case .stopped = self.state { return true }
        return false
    }

    /// The usable channel, if the connection is linked right now.
    var linkedChannel: Channel? {
        if case .linked(_, let channel) = self.state { return channel }
        return nil
    }

    func start() {
        self.eventLoop.preconditionInEventLoop()
        guard case .idle = self.state else { return }
        self.attempt()
    }

    /// Stops reconnecting and closes the connection; the future completes once it is closed.
    func stop() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        let previous = self.state
        self.state = .stopped
        switch previous {
        case .idle, .stopped:
            return self.eventLoop.makeSucceededVoidFuture()
        case .waiting(let timer):
            timer.cancel()
            return self.eventLoop.makeSucceededVoidFuture()
        case .connecting(_, let channel, let deadline):
            deadline.cancel()
            // A connect still in flight is closed by `connectCompleted`, which finds the state stopped.
            return Self.close(channel, on: self.eventLoop)
        case .linked(_, let channel):
            return Self.close(channel, on: self.eventLoop)
        }
    }

    /// Gives up a linked connection that is up but known not to work (its liveness probe was missed), or
    /// must be made again (a cluster master went away): reported like any loss, closed, and replaced at
    /// once.
    func restart(because loss: RedisConnectionLoss) {
        self.eventLoop.preconditionInEventLoop()
        guard case .linked(_, let channel) = self.state else { return }
        if case .clusterMasterLost = loss {
            self.logger.notice("Redis subscription remade to catch up", metadata: ["wsb.error": "\(loss)"])
        } else {
            self.logger.warning("Redis connection does not deliver; reconnecting now", metadata: ["wsb.error": "\(loss)"])
        }
        self.onLost(loss)
        self.scheduleRetry()
        channel.close(promise: nil)
    }

    private static func close(_ channel: Channel?, on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        guard let channel else { return eventLoop.makeSucceededVoidFuture() }
        channel.close(promise: nil)
        return channel.closeFuture
    }

    // MARK: - Attempts

    private func attempt() {
        self.generation += 1
        let generation = self.generation
        let deadline = self.eventLoop.assumeIsolated().scheduleTask(in: self.connectTimeout) {
            self.attemptTimedOut(generation)
        }
        self.state = .connecting(generation: generation, channel: nil, deadline: deadline)
        self.logger.debug("Connecting to Redis", metadata: ["wsb.attempt": .stringConvertible(self.failedAttempts + 1)])

        let supervisor = NIOLoopBound(self, eventLoop: self.eventLoop)
        let bootstrap = ClientBootstrap(group: self.eventLoop)
            .connectTimeout(self.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try supervisor.value.installPipeline(on: channel, generation: generation)
                }
            }
        let connected: EventLoopFuture<Channel>
        self.attemptAddress = self.addressForAttempt?(self.failedAttempts) ?? self.target.address
        switch self.attemptAddress {
        case .tcp(let host, let port):
            connected = bootstrap.connect(host: host, port: port)
        case .unix(let path):
            connected = bootstrap.connect(unixDomainSocketPath: path)
        }
        connected.hop(to: self.eventLoop).assumeIsolated().whenComplete { result in
            self.connectCompleted(generation, result)
        }
    }

    private func installPipeline(on channel: Channel, generation: Int) throws {
        let events = Events(
            linked: { [weak self] channel in self?.handshakeCompleted(generation, channel) },
            closed: { [weak self] loss in self?.connectionClosed(generation, loss) },
            isCurrent: { [weak self] in self?.isLinked(generation: generation) ?? false }
        )
        try channel.pipeline.syncOperations.addHandlers([
            ByteToMessageHandler(RESPDecoder()),
            MessageToByteHandler(RESPCommandEncoder()),
            self.makeHandler(events),
        ])
    }

    private func isLinked(generation: Int) -> Bool {
        if case .linked(generation, _) = self.state { return true }
        return false
    }

    private func connectCompleted(_ generation: Int, _ result: Result<Channel, any Error>) {
        guard case .connecting(generation, nil, let deadline) = self.state else {
            // Abandoned (timed out, stopped) or already failed through its handler: drop the channel.
            if case .success(let channel) = result {
                channel.close(promise: nil)
            }
            return
        }
        switch result {
        case .success(let channel):
            self.state = .connecting(generation: generation, channel: channel, deadline: deadline)
        case .failure(let error):
            self.attemptFailed(.connectFailed(RedisConnectError.words(error, address: self.attemptAddress)))
        }
    }

    private func handshakeCompleted(_ generation: Int, _ channel: Channel) {
        guard case .connecting(generation, _, let deadline) = self.state else { return }
        deadline.cancel()
        self.state = .linked(generation: generation, channel: channel)
        let isReconnect = self.hasLinkedBefore
        var metadata: Logger.Metadata = ["wsb.attempt": .stringConvertible(self.failedAttempts + 1)]
        if self.addressForAttempt != nil {
            metadata["wsb.redis_node"] = "\(RedisConnectError.text(self.attemptAddress))"
        }
        self.logger.info(isReconnect ? "Redis connection re-established" : "Redis connection established", metadata: metadata)
        self.hasLinkedBefore = true
        self.failedAttempts = 0
        self.reported = nil
        self.backoff.reset()
        self.onLinked(channel, isReconnect)
    }

    private func attemptTimedOut(_ generation: Int) {
        guard case .connecting(generation, let channel, _) = self.state else { return }
        self.attemptFailed(.timedOut(self.connectTimeout))
        channel?.close(promise: nil)
    }

    private func connectionClosed(_ generation: Int, _ loss: RedisConnectionLoss) {
        switch self.state {
        case .connecting(generation, _, _):
            self.attemptFailed(loss)
        case .linked(generation, _):
            self.logger.warning("Redis connection lost; reconnecting now", metadata: ["wsb.error": "\(loss)"])
            self.onLost(loss)
            self.scheduleRetry()
        default:
            break
        }
    }

    /// An attempt failed before it was linked: log it, then retry after the backoff delay.
    private func attemptFailed(_ loss: RedisConnectionLoss) {
        guard case .connecting(_, _, let deadline) = self.state else { return }
        deadline.cancel()
        self.failedAttempts += 1
        let attempt = self.failedAttempts
        let delay = self.scheduleRetry()
        let cause = "\(loss)"
        self.onAttemptFailed(cause)
        var metadata: Logger.Metadata = [
            "wsb.error": "\(cause)",
            "wsb.attempt": .stringConvertible(attempt),
            "wsb.delay_ms": .stringConvertible(delay.nanoseconds / 1_000_000),
        ]
        // A refused AUTH is an operator error that no retry fixes on its own: at error, not warning.
        let level: Logger.Level = loss.isAuthRefusal ? .error : .warning
        let now = NIODeadline.now()
        guard let reported = self.reported, reported.cause == cause else {
            self.reported = (cause, now, attempt)
            switch loss {
            case .authRefused:
                self.logger.log(level: level, "\(cause); keeps retrying in the background", metadata: metadata)
            case .connectFailed, .timedOut:
                self.logger.log(level: level, "Cannot reach Redis; keeps retrying in the background", metadata: metadata)
            default:
                self.logger.log(level: level, "Redis connection attempt failed; keeps retrying in the background", metadata: metadata)
            }
            return
        }
        guard now - reported.at >= self.summaryInterval else {
            self.logger.debug("Redis connection attempt failed again; retrying", metadata: metadata)
            return
        }
        metadata["wsb.attempts"] = .stringConvertible(attempt - reported.attempt)
        metadata["wsb.seconds"] = .stringConvertible((now - reported.at).nanoseconds / 1_000_000_000)
        self.reported = (cause, now, attempt)
        self.logger.log(level: level, "Redis connection attempts still failing, for the same reason", metadata: metadata)
    }

    /// Moves to `waiting` with the next backoff delay (0 for the first retry after a link or a start).
    @discardableResult
    private func scheduleRetry() -> TimeAmount {
        // `onLost` or `onAttemptFailed` may have stopped it: then it stays stopped.
        if case .stopped = self.state { return .zero }
        let delay = self.backoff.nextDelay()
        let timer = self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard case .waiting = self.state else { return }
            self.attempt()
        }
        self.state = .waiting(timer)
        return delay
    }
}

@available(*, unavailable)
extension RedisConnectionSupervisor: Sendable {}
