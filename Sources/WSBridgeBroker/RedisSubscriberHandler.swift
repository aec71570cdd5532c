import NIOCore

/// The last handler of the subscriber connection: sends the handshake (`AUTH`, `SUBSCRIBE`), then turns
/// `message` pushes for the channel into batches, one batch per read burst.
///
/// ```
///  *3 $7 message $<n> <channel> $<m> <payload>   ──▶ payload appended to the batch
///  *3 $7 message $<n> <side channel> $<m> <p>     ──▶ sideReceived(side channel, p)   (the liveness probe,
///                                                   presence events, receipts: never in a batch)
///  *3 $8 smessage $<n> <channel>:{u:…} $<m> <p>   ──▶ payload appended to the batch (per-user routing)
///  *3 $10 ssubscribe $<n> <channel>:{u:USER} :<k> ──▶ USER collected; subscribed(users) after the burst
///  channelReadComplete                            ──▶ received(batch)   (in arrival order, once per burst)
///  channelInactive                                ──▶ received(rest of batch), then closed(cause)
///  silent for the health interval                 ──▶ PING   (answered by the push *2 $4 pong $0)
///  silent for another interval after it           ──▶ close (unresponsive)
/// ```
///
/// The `pong` pushes answering the health check's `PING`s are swallowed: neither delivered nor counted
/// as ignored. Pushes for another channel, or of another kind, are counted and ignored. A message that was read
/// completely is always handed on — also when the server closes right after it (bytes decoded at EOF are
/// delivered in `channelInactive`). Event-loop bound: not `Sendable`.
final class RedisSubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue
    typealias OutboundOut = RedisCommand

    private let channelName: String
    private let sideChannels: [String]
    private let sideReceived: (String, ByteBuffer) -> Void
    private let link: RedisLink
    private let received: ([ByteBuffer]) -> Void
    private let ignored: (RESPValue) -> Void
    private var batch: [ByteBuffer] = []
    /// With per-user routing: the prefix of the users' sharded channels (`<channel>:{u:`), and the users
    /// whose sharded subscription Redis confirmed in this read burst.
    private let userChannelPrefix: [UInt8]
    private let subscribed: ([String]) -> Void
    private var confirmed: [String] = []

    /// - Parameters:
    ///   - received: gets each batch; only called while `events.isCurrent()`.
    ///   - ignored: told about every push that is not a `message` for `channel` (nor a health `pong`).
    ///   - healthInterval: see ``RedisHealthCheck``; `nil` turns the check off.
    ///   - sideChannels: other channels subscribed to (the node's probe channel, presence events),
    ///     whose messages go to `sideReceived` with the channel's name (only while
    ///     `events.isCurrent()`), never into a batch.
    init(
        channel: String,
        handshake: RedisHandshake,
        healthInterval: TimeAmount? = nil,
        sideChannels: [String] = [],
        events: RedisConnectionSupervisor.Events,
        received: @escaping ([ByteBuffer]) -> Void,
        sideReceived: @escaping (String, ByteBuffer) -> Void = { _, _ in },
        subscribed: @escaping ([String]) -> Void = { _ in },
        ignored: @escaping (RESPValue) -> Void
    ) {
        self.channelName = channel
        self.userChannelPrefix = Array((channel + ":{u:").utf8)
        self.subscribed = subscribed
        self.sideChannels = sideChannels
        self.sideReceived = sideReceived
        self.link = RedisLink(handshake: handshake, healthInterval: healthInterval, events: events)
        self.received = received
        self.ignored = ignored
    }

    func channelActive(context: ChannelHandlerContext) {
        self.link.activate(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let value = self.link.read(self.unwrapInboundIn(data), context: context) else { return }
        switch self.message(value) {
        case .channel(let payload):
            self.batch.append(payload)
        case .side(let channel, let payload):
            if self.link.isCurrent {
                self.sideReceived(channel, payload)
            }
        case .userSubscribed(let user):
            self.confirmed.append(user)
        case .userUnsubscribed:
            break
        case nil:
            if !Self.isPong(value) {
                self.ignored(value)
            }
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
        // Anything decoded before the close (including at EOF) still goes out.
        self.link.ended { self.deliverBatch() }
        context.fireChannelInactive()
    }

    private func deliverBatch() {
        if !self.confirmed.isEmpty {
            let users = self.confirmed
            self.confirmed.removeAll()
            if self.link.isCurrent {
                self.subscribed(users)
            }
        }
        guard !self.batch.isEmpty else { return }
        let batch = self.batch
        self.batch.removeAll(keepingCapacity: true)
        if self.link.isCurrent {
            self.received(batch)
        }
    }

    /// Whether a push is `["pong", <argument>]`: how a subscribed connection answers `PING`.
    private static func isPong(_ value: RESPValue) -> Bool {
        guard case .array(let items?) = value, items.count == 2, case .bulkString(let kind?) = items[0] else {
            return false
        }
        return kind.readableBytesView.elementsEqual("pong".utf8)
    }

    private enum Message {
        case channel(ByteBuffer)
        case side(String, ByteBuffer)
        case userSubscribed(String)
        case userUnsubscribed
    }

    /// What a push is: `["message", <our channel or a side channel>, payload]`, `["smessage", <a user's
    /// channel>, payload]`, `["ssubscribe", <a user's channel>, count]`; `nil` for any other push.
    private func message(_ value: RESPValue) -> Message? {
        guard case .array(let items?) = value, items.count == 3, case .bulkString(let kind?) = items[0],
            case .bulkString(let channel?) = items[1]
        else {
            return nil
        }
        if kind.readableBytesView.elementsEqual("smessage".utf8) {
            guard case .bulkString(let payload?) = items[2], self.isUserChannel(channel) else { return nil }
            return .channel(payload)
        }
        if kind.readableBytesView.elementsEqual("sunsubscribe".utf8) {
            return self.isUserChannel(channel) ? .userUnsubscribed : nil
        }
        if kind.readableBytesView.elementsEqual("ssubscribe".utf8) {
            guard self.isUserChannel(channel) else { return nil }
            // `<channel>:{u:USER}`: the user is between the prefix and the closing brace.
            let user = channel.getString(
                at: channel.readerIndex + self.userChannelPrefix.count,
                length: channel.readableBytes - self.userChannelPrefix.count - 1)
            return user.map(Message.userSubscribed)
        }
        guard kind.readableBytesView.elementsEqual("message".utf8), case .bulkString(let payload?) = items[2] else {
            return nil
        }
        if channel.readableBytesView.elementsEqual(self.channelName.utf8) {
            return .channel(payload)
        }
        for side in self.sideChannels where channel.readableBytesView.elementsEqual(side.utf8) {
            return .side(side, payload)
        }
        return nil
    }

    private func isUserChannel(_ channel: ByteBuffer) -> Bool {
        channel.readableBytes > self.userChannelPrefix.count
            && channel.readableBytesView.starts(with: self.userChannelPrefix)
            && channel.readableBytesView.last == UInt8(ascii: "}")
    }
}

@available(*, unavailable)
extension RedisSubscriberHandler: Sendable {}
