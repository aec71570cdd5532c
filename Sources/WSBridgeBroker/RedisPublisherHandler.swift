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

    private let events: RedisConnectionSupervisor.Events
    private var state: RedisLinkState
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    private let healthCheck: RedisHealthCheck?
    private let libraryChecked: (RedisLibraryStatus?) -> Void

    /// - Parameters:
    ///   - healthInterval: see ``RedisHealthCheck``; `nil` turns the check off.
    ///   - libraryChecked: told, just before the link is reported, what the handshake found about the
    ///     function library (nil when it had none to check).
    init(
        handshake: RedisHandshake, healthInterval: TimeAmount? = nil, events: RedisConnectionSupervisor.Events,
        libraryChecked: @escaping (RedisLibraryStatus?) -> Void = { _ in }
    ) {
        self.events = events
        self.libraryChecked = libraryChecked
        self.state = RedisLinkState(handshake: handshake)
        self.healthCheck = healthInterval.map(RedisHealthCheck.init(interval:))
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
        self.pending.append(.request(request.promise))
        context.write(self.wrapOutboundOut(request.command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.state.receive(self.unwrapInboundIn(data)) {
        case .handshaking(let send):
            send.writeAndFlush(to: context)
        case .ignored:
            break
        case .justLinked:
            self.startHealthCheck(context: context)
            self.libraryChecked(self.state.libraryStatus)
            self.events.linked(context.channel)
        case .failed:
            context.close(promise: nil)
        case .linked(let value):
            switch self.pending.popFirst() {
            case .request(let promise):
                promise.succeed(value)
            case .ping:
                if value != .simpleString("PONG") {
                    let reply = RedisHandshake.describe(value)
                    self.fail(context: context, .unexpectedReply(command: "PING", reply: reply))
                }
            case nil:
                let reply = RedisHandshake.describe(value)
                self.fail(context: context, .unexpectedReply(command: "(nothing pending)", reply: reply))
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.healthCheck?.readSomething()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context: context, .failed(error))
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.healthCheck?.stop()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.healthCheck?.stop()
        let loss = self.state.ended()
        while let entry = self.pending.popFirst() {
            if case .request(let promise) = entry {
                promise.fail(RedisBrokerError.connectionLost)
            }
        }
        self.events.closed(loss)
        context.fireChannelInactive()
    }

    /// The `PING` goes through the same queue as the publishes, so replies keep matching in order.
    private func startHealthCheck(context: ChannelHandlerContext) {
        guard let healthCheck = self.healthCheck else { return }
        let interval = healthCheck.interval
        healthCheck.start(on: context.eventLoop) { verdict in
            switch verdict {
            case .ping:
                self.pending.append(.ping)
                context.writeAndFlush(self.wrapOutboundOut(.ping), promise: nil)
            case .unresponsive:
                self.fail(context: context, .unresponsive(after: interval))
            }
        }
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
