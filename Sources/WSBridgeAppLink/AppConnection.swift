import Logging
import NIOCore
import WSBridgeCore
import WSBridgeProtocol

/// One attached app: the channel handler that reads its requests (one frame each, from
/// ``AppFrameDecoder``) and writes events back, framed.
///
/// This handler is the one place where app-protocol errors become `error` events. An error that leaves
/// the stream in sync keeps the app attached; `frame_too_large` and `slow_consumer` end the connection.
/// When the app goes away, everything it held goes with it: its sessions leave the registry, its
/// undecided connects are answered 503, its connections are closed with 1012.
final class AppConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State {
        case awaitingHello
        case attached(AppHandle)
        case closed
    }

    let link: AppLinkContext
    let peer: PeerCredentials?
    var state = State.awaitingHello
    var context: ChannelHandlerContext?
    var sessions: [String: AppSession] = [:]
    var replies = ReplySequencer()
    var logger: Logger

    init(link: AppLinkContext, peer: PeerCredentials?) {
        self.link = link
        self.peer = peer
        self.logger = link.logger
        if let peer {
            self.logger[metadataKey: "wsb.app_pid"] = "\(peer.pid)"
            self.logger[metadataKey: "wsb.app_uid"] = "\(peer.uid)"
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.detach()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.detach()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.link.counters.framesIn.wrappingIncrement(ordering: .relaxed)
        switch AppRequestParser.parse(self.unwrapInboundIn(data)) {
        case .success(let request):
            self.handle(request)
        case .failure(let error):
            self.fail(error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let error as AppProtocolError:
            self.fail(error)
        case ByteToMessageDecoderError.leftoverDataWhenDone(let buffer):
            self.logger.warning("app closed the socket in the middle of a frame", metadata: ["wsb.bytes": .stringConvertible(buffer.readableBytes)])
        default:
            self.logger.debug("app connection error", metadata: ["wsb.error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable, case .attached = self.state {
            self.link.counters.slowConsumerDisconnects.wrappingIncrement(ordering: .relaxed)
            self.link.slowConsumerLog.log(
                "disconnecting slow app", level: .warning,
                metadata: ["wsb.limit_bytes": .stringConvertible(self.link.settings.maxQueueBytes)], to: self.logger
            )
            self.fail(.slowConsumer(limit: self.link.settings.maxQueueBytes))
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Writing

    /// Writes an event and flushes.
    func emit(_ event: AppEvent) {
        self.write(event)
        self.flush()
    }

    /// Writes an event without flushing (deliveries are flushed once per batch).
    func write(_ event: AppEvent) {
        guard let context = self.context, context.channel.isActive else { return }
        self.link.counters.framesOut.wrappingIncrement(ordering: .relaxed)
        context.write(self.wrapOutboundOut(AppEventEncoder.frame(event, allocator: context.channel.allocator)), promise: nil)
    }

    func flush() {
        self.context?.flush()
    }

    /// Sends `reply` once every earlier request has had its reply.
    func reply(_ ticket: ReplySequencer.Ticket, _ reply: AppEvent) {
        let releasable = self.replies.complete(ticket, with: reply)
        for event in releasable { self.write(event) }
        if !releasable.isEmpty { self.flush() }
    }

    /// Answers a request that failed with an `error` event; closes the connection if the error says so.
    func fail(_ error: AppProtocolError) {
        self.noteError(error)
        self.reply(self.replies.take(), .failure(error))
        if error.closesConnection, let context = self.context {
            let channel = context.channel
            context.writeAndFlush(NIOAny(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Counts an `error` sent to the app and logs it at a bounded rate: an app stuck in a loop of bad
    /// requests must not flood the log.
    func noteError(_ error: AppProtocolError) {
        self.link.counters.countError(error.code)
        self.link.errorLog.log(
            "app request failed", level: .notice,
            metadata: ["wsb.code": "\(error.code.rawValue)", "wsb.error": "\(error.message)"], to: self.logger
        )
    }

    // MARK: Detaching

    private func detach() {
        guard case .attached(let app) = self.state else {
            self.state = .closed
            return
        }
        self.state = .closed
        let shard = self.context.map { self.link.router.shard(for: $0.eventLoop) }
        for session in self.sessions.values {
            shard?.remove(session)
        }
        self.sessions = [:]
        let (pending, pinned) = self.link.directory.detach(app.id)
        for promise in pending {
            promise.succeed(.reject(status: .serviceUnavailable, reason: "the app serving this path went away", kind: .appGone))
        }
        for connection in pinned {
            connection.close(.serviceRestart, reason: "app went away")
        }
        guard !app.isTool else {
            self.logger.debug("tool detached", metadata: ["wsb.app": "\(app.name)"])
            return
        }
        self.link.counters.appsAttached.wrappingDecrement(ordering: .relaxed)
        self.logger.notice(
            "app detached",
            metadata: ["wsb.app": "\(app.name)", "wsb.connections_closed": .stringConvertible(pinned.count), "wsb.connects_refused": .stringConvertible(pending.count)]
        )
    }
}
