import NIOCore

/// One command on its way to Redis (`FCALL wsbridge_publish`, `PUBLISH`...), with the promise its reply
/// completes. An error reply is a reply too: the promise succeeds with `.error`, the caller judges it.
struct RedisRequest: Sendable {
    var command: RedisCommand
    var promise: EventLoopPromise<RESPValue>
}

/// The last handler of the publisher connection: sends the handshake (`AUTH`, `SELECT`, `PING`, the
/// function library check), then writes ``RedisRequest``s and completes their promises from the
/// replies, first in, first out.
///
/// ```
///  write(FCALL a) write(FCALL b) write(PUBLISH c)  ──▶  pending: [a, b, c]
///  $9 … ──▶ a gets it    -WSBRIDGE … ──▶ b gets the error reply     :0 ──▶ c gets it
///  channelInactive ──▶ every pending promise fails (connectionLost)
/// ```
///
/// Any number of publishes may be in flight (pipelined); the queue only holds those already written to a
/// live connection. The health check's `PING`s (see ``RedisHealthCheck``) take their place in the same
/// queue, so their `+PONG` is never taken for a publish's reply:
///
/// ```
///  write(PUBLISH a)  PING  write(PUBLISH b)  ──▶  pending: [a, ping, b]
///  :1 ──▶ a succeeds      +PONG ──▶ the ping      :1 ──▶ b succeeds
///  nothing read for an interval after the PING ──▶ close (unresponsive) ──▶ a and b fail (connectionLost)
/// ```
///
/// Event-loop bound: not `Sendable`.
final class RedisPublisherHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = RedisCommand

    /// A command written on the linked connection whose reply is still due.
    private enum Pending {
        case request(EventLoopPromise<RESPValue>)
        case ping
    }

    private let link: RedisLink
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)

    /// - Parameters:
    ///   - healthInterval: see ``RedisHealthCheck``; `nil` turns the check off.
    ///   - libraryChecked: told, just before the link is reported, what the handshake found about the
    ///     function library (nil when it had none to check).
    init(
        handshake: RedisHandshake, healthInterval: TimeAmount? = nil, events: RedisConnectionSupervisor.Events,
        libraryChecked: @escaping (RedisLibraryStatus?) -> Void = { _ in }
    ) {
        self.link = RedisLink(handshake: handshake, healthInterval: healthInterval, events: events, linking: libraryChecked)
    }

    func channelActive(context: ChannelHandlerContext) {
        // The health check's PING takes its place in the queue, so replies keep matching in order.
        self.link.activate(context: context) { self.pending.append(.ping) }
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = self.unwrapOutboundIn(data)
        guard self.link.isLinked else {
            request.promise.fail(RedisBrokerError.notConnected)
            promise?.fail(RedisBrokerError.notConnected)
            return
        }
        self.pending.append(.request(request.promise))
        context.write(self.wrapOutboundOut(request.command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let value = self.link.read(self.unwrapInboundIn(data), context: context) else { return }
        switch self.pending.popFirst() {
        case .request(let promise):
            promise.succeed(value)
        case .ping:
            if value != .simpleString("PONG") {
                self.link.fail(.unexpectedReply(command: "PING", reply: RedisHandshake.describe(value)), context: context)
            }
        case nil:
            self.link.fail(.unexpectedReply(command: "(nothing pending)", reply: RedisHandshake.describe(value)), context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.link.readComplete()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.link.fail(.failed(error), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.link.removed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.link.ended {
            while let entry = self.pending.popFirst() {
                if case .request(let promise) = entry {
                    promise.fail(RedisBrokerError.connectionLost)
                }
            }
        }
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension RedisPublisherHandler: Sendable {}
