import Logging
import NIOCore

/// The sending half of ``RedisBroker``: one connection for `PUBLISH`, separate from the subscription (a
/// subscribed connection may not publish). Confined to the broker's event loop; not `Sendable`.
///
/// Publishes are pipelined: each is written at once and every write of one event-loop tick shares a
/// single flush. While the connection is down, publishes fail at once with
/// ``RedisBrokerError/notConnected`` instead of piling up in memory.
final class RedisPublisher {
    private let supervisor: RedisConnectionSupervisor
    private let channelName: String
    private let eventLoop: EventLoop
    private var flushScheduled = false

    init(
        target: RedisConnectionTarget,
        channel: String,
        eventLoop: EventLoop,
        connectTimeout: TimeAmount,
        healthInterval: TimeAmount?,
        backoff: ReconnectBackoff,
        logger: Logger,
        counters: RedisBrokerCounters
    ) {
        self.channelName = channel
        self.eventLoop = eventLoop
        let handshake = RedisHandshake.publisher(target: target)
        self.supervisor = RedisConnectionSupervisor(
            role: .publisher,
            target: target,
            eventLoop: eventLoop,
            connectTimeout: connectTimeout,
            backoff: backoff,
            logger: logger
        ) { events in
            RedisPublisherHandler(handshake: handshake, healthInterval: healthInterval, events: events)
        }
        self.supervisor.onLinked = { _, isReconnect in
            if isReconnect {
                counters.reconnects.wrappingIncrement(ordering: .relaxed)
            }
        }
        self.supervisor.onLost = { loss in
            counters.countLoss(loss)
        }
    }

    /// Whether the publisher connection is usable right now.
    var isConnected: Bool {
        self.supervisor.linkedChannel != nil
    }

    func start() {
        self.supervisor.start()
    }

    func stop() -> EventLoopFuture<Void> {
        self.supervisor.stop()
    }

    /// Writes `PUBLISH channel message`; the future completes with Redis' reply.
    func publish(_ message: ByteBuffer) -> EventLoopFuture<Void> {
        guard let channel = self.supervisor.linkedChannel else {
            return self.eventLoop.makeFailedFuture(RedisBrokerError.notConnected)
        }
        let promise = self.eventLoop.makePromise(of: Void.self)
        let command = RedisCommand.publish(channel: self.channelName, message: message)
        channel.write(RedisPublishRequest(command: command, promise: promise), promise: nil)
        if !self.flushScheduled {
            self.flushScheduled = true
            self.eventLoop.assumeIsolated().execute {
                self.flushScheduled = false
                channel.flush()
            }
        }
        return promise.futureResult
    }
}

@available(*, unavailable)
extension RedisPublisher: Sendable {}
