import NIOCore

/// What the subscriber's and the publisher's handlers do alike with their connection: write the
/// handshake, take its replies, report the link, watch it with the health check, close on the first
/// failure (keeping its reason) and report the loss. The handlers keep only what their role adds.
///
/// ```
///  channelActive        ──▶ activate      handshake commands written (pipelined, one flush)
///  channelRead          ──▶ read          handshake replies answered here; on the last one the health
///                                         check starts, `linking` is told the library status, then
///                                         events.linked; a linked connection's values go to the role
///  channelReadComplete  ──▶ readComplete  liveness for the health check
///  health check: ping   ──▶ willPing(), then PING written;  unresponsive ──▶ fail(.unresponsive)
///  channelInactive      ──▶ ended         health check stopped, the role's clean-up, events.closed(reason)
/// ```
///
/// Event-loop bound, owned by one handler: not `Sendable`.
final class RedisLink {
    private var state: RedisLinkState
    private let healthCheck: RedisHealthCheck?
    private let events: RedisConnectionSupervisor.Events
    private let linking: (RedisLibraryStatus?) -> Void
    private var willPing: (() -> Void)?

    /// - Parameters:
    ///   - healthInterval: see ``RedisHealthCheck``; `nil` turns the check off.
    ///   - linking: told, just before the link is reported, what the handshake found about the function
    ///     library (nil when it had none to check).
    init(
        handshake: RedisHandshake, healthInterval: TimeAmount?, events: RedisConnectionSupervisor.Events,
        linking: @escaping (RedisLibraryStatus?) -> Void = { _ in }
    ) {
        self.state = RedisLinkState(handshake: handshake)
        self.healthCheck = healthInterval.map(RedisHealthCheck.init(interval:))
        self.events = events
        self.linking = linking
    }

    /// Whether the handshake is complete and the connection not closing.
    var isLinked: Bool { self.state.isLinked }

    /// Whether this connection is still the supervisor's current, linked one (delivery is allowed).
    var isCurrent: Bool { self.events.isCurrent() }

    /// The channel is active: writes the handshake. `willPing` is called before each health-check
    /// `PING` is written (the publisher queues it among its requests).
    func activate(context: ChannelHandlerContext, willPing: @escaping () -> Void = {}) {
        self.willPing = willPing
        self.state.handshakeCommands.writeAndFlush(to: context)
    }

    /// Takes one value read. Returns it when the connection is linked, for the role to interpret; nil for
    /// the handshake's replies and while the connection is closing.
    func read(_ value: RESPValue, context: ChannelHandlerContext) -> RESPValue? {
        switch self.state.receive(value) {
        case .handshaking(let send):
            send.writeAndFlush(to: context)
        case .ignored:
            break
        case .justLinked:
            self.startHealthCheck(context: context)
            self.linking(self.state.libraryStatus)
            self.events.linked(context.channel)
        case .failed:
            context.close(promise: nil)
        case .linked(let value):
            return value
        }
        return nil
    }

    /// A read burst ended: the connection is alive.
    func readComplete() {
        self.healthCheck?.readSomething()
    }

    /// Closes the connection because of `loss`, unless an earlier reason is recorded (then it is closing
    /// already).
    func fail(_ loss: RedisConnectionLoss, context: ChannelHandlerContext) {
        if self.state.close(loss) {
            context.close(promise: nil)
        }
    }

    /// The handler left the pipeline: no more health checks.
    func removed() {
        self.stop()
    }

    /// The channel went inactive: stops the health check, runs the role's `cleanUp` (what is pending,
    /// what was read), then reports why the connection ended.
    func ended(cleanUp: () -> Void = {}) {
        self.stop()
        let loss = self.state.ended()
        cleanUp()
        self.events.closed(loss)
    }

    private func stop() {
        self.healthCheck?.stop()
        self.willPing = nil
    }

    private func startHealthCheck(context: ChannelHandlerContext) {
        guard let healthCheck = self.healthCheck else { return }
        let interval = healthCheck.interval
        healthCheck.start(on: context.eventLoop) { verdict in
            switch verdict {
            case .ping:
                self.willPing?()
                context.writeAndFlush(NIOAny(RedisCommand.ping), promise: nil)
            case .unresponsive:
                self.fail(.unresponsive(after: interval), context: context)
            }
        }
    }
}

@available(*, unavailable)
extension RedisLink: Sendable {}
