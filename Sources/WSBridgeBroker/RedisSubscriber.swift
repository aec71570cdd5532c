import Logging
import NIOCore

/// The receiving half of ``RedisBroker``: one connection that `SUBSCRIBE`s to the channel and hands every
/// batch of messages to the ``BrokerHandler``. It owns the link state (``RedisBroker/isLinked``).
/// Confined to the broker's event loop; not `Sendable`.
final class RedisSubscriber {
    private let supervisor: RedisConnectionSupervisor
    private let counters: RedisBrokerCounters
    private let handler: BrokerHandler

    init(
        _ connection: RedisConnectionSettings,
        channel: String,
        sideChannels: [String],
        counters: RedisBrokerCounters,
        handler: BrokerHandler,
        sideReceived: @escaping (String, ByteBuffer) -> Void
    ) {
        self.counters = counters
        self.handler = handler
        let handshake = RedisHandshake.subscriber(target: connection.target, channels: [channel] + sideChannels)
        let logger = connection.logger
        self.supervisor = RedisConnectionSupervisor(role: .subscriber, settings: connection) { events in
            RedisSubscriberHandler(
                channel: channel,
                handshake: handshake,
                healthInterval: connection.healthInterval,
                sideChannels: sideChannels,
                events: events,
                received: handler.received,
                sideReceived: sideReceived,
                ignored: { value in
                    counters.ignoredPushes.wrappingIncrement(ordering: .relaxed)
                    logger.debug(
                        "Ignored a push on the subscriber connection",
                        metadata: ["wsb.redis_reply": "\(RedisHandshake.describe(value))"]
                    )
                }
            )
        }
        self.supervisor.onLinked = { _, isReconnect in
            if isReconnect {
                counters.reconnects.wrappingIncrement(ordering: .relaxed)
            }
            counters.isLinked.store(true, ordering: .releasing)
            handler.linkChanged(true)
        }
        self.supervisor.onLost = { loss in
            counters.countLoss(loss)
            counters.isLinked.store(false, ordering: .releasing)
            handler.linkChanged(false)
        }
    }

    func start() {
        self.supervisor.start()
    }

    /// Whether the subscription is established right now.
    var isLinked: Bool {
        self.supervisor.linkedChannel != nil
    }

    /// Replaces a subscription that is up but does not deliver (the probe was missed).
    func restart(because loss: RedisConnectionLoss) {
        self.supervisor.restart(because: loss)
    }

    /// Unsubscribes by closing the connection; reports the link down if it was up.
    func stop() -> EventLoopFuture<Void> {
        let wasLinked = self.supervisor.linkedChannel != nil
        let closed = self.supervisor.stop()
        if wasLinked {
            self.counters.isLinked.store(false, ordering: .releasing)
            self.handler.linkChanged(false)
        }
        return closed
    }
}

@available(*, unavailable)
extension RedisSubscriber: Sendable {}
