import Logging
import NIOCore

/// Runs a broker's liveness probe (``RedisProbe``) on its event loop: every interval a token is published
/// on the probe channel, and a token that does not come back on the subscription rebuilds it. The
/// broker says how to publish, whether it is linked, and how to rebuild. Not `Sendable`.
final class RedisProbeDriver {
    struct Hooks {
        /// Both connections are usable.
        var isLinked: () -> Bool
        /// Publishes the token on the probe channel; nil when nothing can send now.
        var publish: (_ token: ByteBuffer) -> EventLoopFuture<RESPValue>?
        /// Gives up the subscription and makes it again.
        var rebuild: (RedisConnectionLoss) -> Void
    }

    private let eventLoop: EventLoop
    private let interval: TimeAmount
    private let counters: RedisBrokerCounters
    private let logger: Logger
    /// Whether the `PUBLISH` reply counts our subscription: on one server it does (0 is a miss at once);
    /// on a cluster it counts the subscribers of the node it was sent to only.
    private let repliesCountSubscribers: Bool
    private var probe: RedisProbe
    private var task: RepeatedTask?
    var hooks = Hooks(isLinked: { false }, publish: { _ in nil }, rebuild: { _ in })

    init(interval: TimeAmount, repliesCountSubscribers: Bool, eventLoop: EventLoop, counters: RedisBrokerCounters, logger: Logger) {
        self.eventLoop = eventLoop
        self.interval = interval
        self.counters = counters
        self.logger = logger
        self.repliesCountSubscribers = repliesCountSubscribers
        self.probe = RedisProbe(interval: interval)
    }

    func start() {
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.task = self.eventLoop.scheduleRepeatedTask(initialDelay: self.interval, delay: self.interval) { _ in
            loopBound.value.tick()
        }
    }

    func stop() {
        self.task?.cancel()
        self.task = nil
    }

    private func tick() {
        let linked = self.hooks.isLinked()
        if !linked {
            self.probe.linkLost()
        }
        for action in self.probe.tick(now: .now(), linked: linked) {
            self.perform(action)
        }
    }

    private func perform(_ action: RedisProbe.Action) {
        switch action {
        case .send(let token):
            guard let reply = self.hooks.publish(ByteBuffer(string: token)) else { return }
            guard self.repliesCountSubscribers else { return }
            let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
            reply.whenSuccess { reply in
                guard case .integer(let receivers) = reply else { return }
                let driver = loopBound.value
                if let missed = driver.probe.published(token, receivers: receivers) {
                    driver.perform(missed)
                }
            }
        case .missed:
            self.counters.probeMisses.wrappingIncrement(ordering: .relaxed)
            self.counters.probeFailing.store(true, ordering: .relaxed)
            self.hooks.rebuild(.probeMissed(after: self.interval))
        }
    }

    /// A message on the probe channel.
    func received(_ payload: ByteBuffer) {
        guard let roundTrip = self.probe.received(String(buffer: payload), now: .now()) else { return }
        self.counters.probePasses.wrappingIncrement(ordering: .relaxed)
        self.counters.lastProbeRoundTrip.store(roundTrip.nanoseconds, ordering: .relaxed)
        if self.counters.probeFailing.exchange(false, ordering: .relaxed) {
            self.logger.notice("subscription probe came back: the subscription delivers again")
        }
    }
}
