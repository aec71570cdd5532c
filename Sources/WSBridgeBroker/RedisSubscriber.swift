import Logging
import NIOCore

/// The receiving half of ``RedisBroker``: one connection that `SUBSCRIBE`s to the channel and hands every
/// batch of messages to the ``BrokerHandler``. It owns the link state (``RedisBroker/isLinked``).
/// Confined to the broker's event loop; not `Sendable`.
///
/// With per-user routing it also `SSUBSCRIBE`s to the sharded channel of every user this node holds
/// (``route(added:removed:)``): on each new connection as part of its handshake (the link is reported
/// once they are all in place), and on the linked connection as users come and go. Redis confirms each;
/// the confirmations of a read burst go to `handler.usersSubscribed`.
final class RedisSubscriber {
    private var supervisor: RedisConnectionSupervisor!
    private let counters: RedisBrokerCounters
    private let handler: BrokerHandler
    private let channel: String
    /// The users whose sharded channels are wanted (nil: channel routing).
    private var users: Set<String>?

    init(
        _ connection: RedisConnectionSettings,
        channel: String,
        sideChannels: [String],
        counters: RedisBrokerCounters,
        handler: BrokerHandler,
        perUserRouting: Bool = false,
        sideReceived: @escaping (String, ByteBuffer) -> Void
    ) {
        self.counters = counters
        self.handler = handler
        self.channel = channel
        self.users = perUserRouting ? [] : nil
        let logger = connection.logger
        let box = SubscriberBox()
        self.supervisor = RedisConnectionSupervisor(role: .subscriber, settings: connection) { events in
            // Made for each attempt: it subscribes to the users held at that moment.
            let sharded = (box.subscriber?.users ?? []).sorted().map { RedisFunctionLibrary.userChannel($0, of: channel) }
            let batches = (sharded.count + RedisHandshake.shardedBatch - 1) / RedisHandshake.shardedBatch
            counters.userSubscriptionCommands.wrappingIncrement(by: batches, ordering: .relaxed)
            return RedisSubscriberHandler(
                channel: channel,
                handshake: RedisHandshake.subscriber(target: connection.target, channels: [channel] + sideChannels, sharded: sharded),
                healthInterval: connection.healthInterval,
                sideChannels: sideChannels,
                events: events,
                received: handler.received,
                sideReceived: sideReceived,
                subscribed: handler.usersSubscribed,
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
        box.subscriber = self
    }

    /// Per-user routing: whether the node now holds each user (`changes`, the last word of a tick for
    /// each). What differs from before is subscribed and unsubscribed at once on a linked connection, in
    /// commands of at most ``RedisHandshake/shardedBatch`` channels; a user who came and went within the
    /// tick costs nothing. Unlinked, the next connection's handshake subscribes to whoever is held then.
    func route(_ changes: [String: Bool]) {
        guard var users = self.users else { return }
        var added: [String] = []
        var removed: [String] = []
        for (user, held) in changes {
            if held, users.insert(user).inserted {
                added.append(user)
            } else if !held, users.remove(user) != nil {
                removed.append(user)
            }
        }
        self.users = users
        self.counters.userChannels.store(users.count, ordering: .relaxed)
        guard let channel = self.supervisor.linkedChannel else { return }
        for (command, names) in [("SUNSUBSCRIBE", removed), ("SSUBSCRIBE", added)] where !names.isEmpty {
            for start in stride(from: 0, to: names.count, by: RedisHandshake.shardedBatch) {
                let batch = names[start..<min(start + RedisHandshake.shardedBatch, names.count)]
                self.counters.userSubscriptionCommands.wrappingIncrement(ordering: .relaxed)
                channel.write(
                    RedisCommand(
                        arguments: [ByteBuffer(string: command)]
                            + batch.map { ByteBuffer(string: RedisFunctionLibrary.userChannel($0, of: self.channel)) }),
                    promise: nil)
            }
        }
        channel.flush()
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

/// Lets the supervisor's handler factory read the subscriber it belongs to (made after it). Loop-bound.
private final class SubscriberBox {
    weak var subscriber: RedisSubscriber?
}
