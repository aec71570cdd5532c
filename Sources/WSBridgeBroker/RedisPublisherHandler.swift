import NIOCore

/// One `PUBLISH` on its way to Redis, with the promise its integer reply completes.
struct RedisPublishRequest: Sendable {
    var command: RedisCommand
    var promise: EventLoopPromise<Void>
}

/// The last handler of the publisher connection: sends the handshake (`AUTH`, `SELECT`, `PING`), then
/// writes ``RedisPublishRequest``s and completes their promises from the replies, first in, first out.
///
/// ```
///  write(PUBLISH a) write(PUBLISH b) write(PUBLISH c)  ──▶  pending: [a, b, c]
///  :2 ──▶ a succeeds      -ERR ... ──▶ b fails (publishRejected)      :0 ──▶ c succeeds
///  channelInactive ──▶ every pending promise fails (connectionLost)
/// ```
///
/// Any number of publishes may be in flight (pipelined); the queue only holds those already written to a
/// live connection. Event-loop bound: not `Sendable`.
final class RedisPublisherHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisPublishRequest
    typealias OutboundOut = RedisCommand

    private let events: RedisConnectionSupervisor.Events
    private var state: RedisLinkState
    private var pending = CircularBuffer<EventLoopPromise<Void>>(initialCapacity: 16)

    init(handshake: RedisHandshake, events: RedisConnectionSupervisor.Events) {
        self.events = events
        self.state = RedisLinkState(handshake: handshake)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.state.handshakeCommands.writeAndFlush(to: context)
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = self.unwrapOutboundIn(data)
        guard self.state.isLinked else {
            request.promise.fail(RedisBrokerError.notConnected)
            promise?.fail(RedisBrokerError.notConnected)
            return
        }
        self.pending.append(request.promise)
        context.write(self.wrapOutboundOut(request.command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.state.receive(self.unwrapInboundIn(data)) {
        case .handshaking, .ignored:
            break
        case .justLinked:
            self.events.linked(context.channel)
        case .failed:
            context.close(promise: nil)
        case .linked(let value):
            guard let promise = self.pending.popFirst() else {
                let reply = RedisHandshake.describe(value)
                self.fail(context: context, .unexpectedReply(command: "(nothing pending)", reply: reply))
                return
            }
            switch value {
            case .integer:
                promise.succeed()
            case .error(let message):
                promise.fail(RedisBrokerError.publishRejected(message))
            default:
                promise.fail(RedisBrokerError.unexpectedReply(RedisHandshake.describe(value)))
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context: context, .failed(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        let loss = self.state.ended()
        while let promise = self.pending.popFirst() {
            promise.fail(RedisBrokerError.connectionLost)
        }
        self.events.closed(loss)
        context.fireChannelInactive()
    }

    /// Remembers the first reason and closes; `channelInactive` then fails what is pending.
    private func fail(context: ChannelHandlerContext, _ loss: RedisConnectionLoss) {
        if self.state.close(loss) {
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension RedisPublisherHandler: Sendable {}
