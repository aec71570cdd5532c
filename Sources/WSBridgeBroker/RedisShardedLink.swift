import Logging
import NIOCore

/// One connection to a cluster master for sharded subscriptions (per-user routing on a Redis Cluster):
/// `SSUBSCRIBE`/`SUNSUBSCRIBE` commands go out on it, `smessage` pushes come back as batches, and every
/// reply to those commands goes to the ``ShardedSubscriptions`` state machine that sent them. It
/// reconnects by itself like every Redis connection (``RedisConnectionSupervisor``); a new connection
/// starts with no subscription, and the state machine is told so. Confined to the broker's event loop.
final class RedisShardedLink {
    let master: ClusterNode
    /// Tells this link from an earlier one to the same master, whose late events must change nothing.
    let generation: Int
    private var supervisor: RedisConnectionSupervisor!

    /// - Parameters:
    ///   - received: batches of `smessage` payloads of the users' channels (`<channel>:{u:…}`).
    ///   - reply: every reply to a subscription command, and every `sunsubscribe` push, in order.
    ///   - linked / lost: the connection became usable / went away.
    init(
        master: ClusterNode, generation: Int, connection: RedisConnectionSettings, channel: String,
        received: @escaping ([ByteBuffer]) -> Void, reply: @escaping (ShardedSubscriptions.Reply) -> Void,
        linked: @escaping () -> Void, lost: @escaping () -> Void
    ) {
        self.master = master
        self.generation = generation
        var target = connection.target
        target.database = 0
        let handshake = RedisHandshake.publisher(target: target, library: nil)
        self.supervisor = RedisConnectionSupervisor(role: .subscriber, settings: connection) { events in
            RedisShardedSubscriberHandler(
                channel: channel, handshake: handshake, healthInterval: connection.healthInterval, events: events,
                received: received, reply: reply)
        }
        self.supervisor.onLinked = { _, _ in linked() }
        self.supervisor.onLost = { _ in lost() }
    }

    func start() {
        self.supervisor.start()
    }

    func stop() -> EventLoopFuture<Void> {
        self.supervisor.stop()
    }

    /// Writes a subscription command on the linked connection; nothing when it is not linked (the state
    /// machine waits for ``linked`` before it sends).
    func send(_ command: RedisCommand) {
        guard let channel = self.supervisor.linkedChannel else { return }
        channel.writeAndFlush(command, promise: nil)
    }
}

@available(*, unavailable)
extension RedisShardedLink: Sendable {}

/// The handler of a ``RedisShardedLink``: the handshake (`AUTH`, `PING`), then `smessage` pushes of the
/// users' channels into batches (one per read burst) and the replies to subscription commands to the
/// state machine. `PING`s of the health check are answered `+PONG` before the first subscription and
/// `[pong, ""]` after it; both are swallowed. Event-loop bound.
final class RedisShardedSubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue
    typealias OutboundOut = RedisCommand

    private let link: RedisLink
    private let userChannelPrefix: [UInt8]
    private let received: ([ByteBuffer]) -> Void
    private let reply: (ShardedSubscriptions.Reply) -> Void
    private var batch: [ByteBuffer] = []

    init(
        channel: String, handshake: RedisHandshake, healthInterval: TimeAmount?, events: RedisConnectionSupervisor.Events,
        received: @escaping ([ByteBuffer]) -> Void, reply: @escaping (ShardedSubscriptions.Reply) -> Void
    ) {
        self.link = RedisLink(handshake: handshake, healthInterval: healthInterval, events: events)
        self.userChannelPrefix = Array((channel + ":{u:").utf8)
        self.received = received
        self.reply = reply
    }

    func channelActive(context: ChannelHandlerContext) {
        self.link.activate(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let value = self.link.read(self.unwrapInboundIn(data), context: context) else { return }
        if case .array(let items?) = value, items.count == 3, items[0].text == "smessage",
            case .bulkString(let channel?) = items[1], channel.readableBytesView.starts(with: self.userChannelPrefix),
            case .bulkString(let payload?) = items[2]
        {
            self.batch.append(payload)
            return
        }
        if let reply = ShardedSubscriptions.Reply(value), self.link.isCurrent {
            self.reply(reply)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.link.readComplete()
        self.deliverBatch()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.link.fail(.failed(error), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.link.removed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.link.ended { self.deliverBatch() }
        context.fireChannelInactive()
    }

    private func deliverBatch() {
        guard !self.batch.isEmpty else { return }
        let batch = self.batch
        self.batch.removeAll(keepingCapacity: true)
        if self.link.isCurrent {
            self.received(batch)
        }
    }
}

@available(*, unavailable)
extension RedisShardedSubscriberHandler: Sendable {}
