import Logging
import NIOCore
import WSBridgeCore
import WSBridgeProtocol

/// One attached app: the channel handler that reads its requests (one frame each, from
/// ``AppFrameDecoder``) and writes events back, framed. What each request means in the connection's
/// state is decided by its ``AppConnectionStateMachine``; this handler performs the machine's actions.
///
/// This handler is the one place where app-protocol errors become `error` events. An error that leaves
/// the stream in sync keeps the app attached; `frame_too_large` and `slow_consumer` end the connection.
/// When the app goes away, everything it held goes with it: its sessions leave the registry, its
/// undecided connects are answered 503, its connections are closed with 1012.
final class AppConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let link: AppLinkContext
    let peer: PeerCredentials?
    var machine = AppConnectionStateMachine()
    var context: ChannelHandlerContext?
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
            let directory = self.link.directory
            let action = self.machine.receive(request, newAppID: { directory.makeAppID() }) { registration in
                AppSession(
                    id: registration.session, user: registration.user, since: registration.since, app: self,
                    reply: (registration.ticket, registration.id))
            }
            self.perform(action)
        case .failure(let error):
            self.perform(self.machine.unreadable(error))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let error as AppProtocolError:
            self.perform(self.machine.unreadable(error))
        case ByteToMessageDecoderError.leftoverDataWhenDone(let buffer):
            self.logger.warning("app closed the socket in the middle of a frame", metadata: ["wsb.bytes": .stringConvertible(buffer.readableBytes)])
        default:
            self.logger.debug("app connection error", metadata: ["wsb.error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let limit = self.link.settings.maxQueueBytes
        if !context.channel.isWritable, let action = self.machine.becameUnwritable(queueLimit: limit) {
            self.link.counters.slowConsumerDisconnects.wrappingIncrement(ordering: .relaxed)
            self.link.slowConsumerLog.log(
                "disconnecting slow app", level: .warning, metadata: ["wsb.limit_bytes": .stringConvertible(limit)], to: self.logger)
            self.perform(action)
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
        let releasable = self.machine.complete(ticket, with: reply)
        for event in releasable { self.write(event) }
        if !releasable.isEmpty { self.flush() }
    }

    /// Answers a request that failed with an `error` event, counted and logged at a bounded rate (an app
    /// stuck in a loop of bad requests must not flood the log); closes the connection if the error says so.
    func replyError(_ ticket: ReplySequencer.Ticket, _ error: AppProtocolError) {
        self.link.counters.countError(error.code)
        self.link.errorLog.log(
            "app request failed", level: .notice,
            metadata: ["wsb.code": "\(error.code.rawValue)", "wsb.error": "\(error.message)"], to: self.logger
        )
        self.reply(ticket, .failure(error))
        if error.closesConnection, let context = self.context {
            let channel = context.channel
            context.writeAndFlush(NIOAny(ByteBuffer())).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Tells the app the daemon is draining, once.
    func announceShutdown(drainMilliseconds: Int) {
        if self.machine.announceShutdown() {
            self.emit(.shutdown(drainMilliseconds: drainMilliseconds))
        }
    }

    // MARK: Detaching

    private func detach() {
        guard let departure = self.machine.closed() else { return }
        let shard = self.context.map { self.link.router.shard(for: $0.eventLoop) }
        for session in departure.sessions {
            shard?.remove(session)
        }
        let app = departure.app
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
