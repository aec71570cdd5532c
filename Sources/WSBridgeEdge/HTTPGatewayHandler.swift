import Logging
import NIOCore
import WSBridgeCore
import WSBridgeDeflate

/// Serves the HTTP side of the public listener until a connection opens: `GET /healthz`, the opening
/// handshake on the WebSocket path (header checks, origin, auth, then 101), the server-sent-events
/// fallback on `sse_path` (the same checks, then 200 and a stream), and proper statuses for everything
/// else. Refusals are real HTTP responses sent before any upgrade, then the connection closes.
///
/// What each request gets is decided by its ``HTTPGatewayStateMachine``; this handler performs the
/// machine's actions: it asks the authenticator, writes the answers, counts and logs them. Its shard
/// keeps its `handshake_timeout` (``PendingHandshake/timedOut()``).
///
/// It is the only handler of a connection until it opens (behind TLS, if any): it reads the request
/// from the socket's bytes itself (``HTTPRequestHeadParser``) and writes its answers as bytes, with no
/// HTTP decoder or encoder in the pipeline. Once accepted it is replaced by a ``WebSocketConnection``
/// (which reads the frames itself) or an ``EventStreamConnection``, and hands it what the client sent
/// after the request.
///
/// Until then its shard holds it as a ``PendingHandshake``: a drain ends it (``HTTPGatewayStateMachine/draining()``).
final class HTTPGatewayHandler: ChannelInboundHandler, RemovableChannelHandler, PendingHandshake {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let edge: EdgeContext
    private let shared: SharedEdgeSettings
    private var settings: EdgeSettings { self.shared.value }
    private var machine: HTTPGatewayStateMachine
    private var parser: HTTPRequestHeadParser
    /// Bytes read and not taken yet: the part of the request that has arrived, then what the client
    /// sent after it (kept for the connection it opens).
    private var received: ByteBuffer?
    /// The shard's hold on this handshake (and its `handshake_timeout`); nil once the shard drains.
    private var ticket: HandshakeTicket?
    /// The client's address from `X-Forwarded-For`, when a trusted proxy forwarded the request.
    private var forwardedClient: String?
    /// The handler's context while it is in the pipeline, for ``drain()``.
    private var context: ChannelHandlerContext?

    /// - Parameter refuse: over `max_connections`: every request is answered 503.
    init(edge: EdgeContext, settings: SharedEdgeSettings, refuse: Bool) {
        self.edge = edge
        self.shared = settings
        self.machine = HTTPGatewayStateMachine(overCapacity: refuse)
        self.parser = HTTPRequestHeadParser(maxHeadBytes: settings.value.maxRequestHeadBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.ticket = self.shard(context).handshakeBegan(self, timeout: self.settings.handshakeTimeout)
        if self.ticket == nil {
            self.perform(self.machine.draining(), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        if let ticket = self.ticket {
            self.shard(context).handshakeEnded(ticket)
        }
    }

    // MARK: PendingHandshake

    var closeFuture: EventLoopFuture<Void>? { self.context?.channel.closeFuture }

    func drain() {
        guard let context = self.context else { return }
        self.perform(self.machine.draining(), context: context)
    }

    func timedOut() {
        guard let context = self.context else { return }
        self.perform(self.machine.timedOut(), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.perform(self.machine.channelInactive(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        switch self.machine.state {
        case .awaitingRequest, .receiving, .deciding:
            break
        case .done:
            return  // Answered: the connection is closing.
        }
        if self.received == nil {
            self.received = bytes
        } else {
            self.received!.writeBuffer(&bytes)
        }
        var ended = false
        do throws(HTTPRequestHeadParser.Failure) {
            while !ended, let part = try self.parser.read(&self.received!) {
                switch part {
                case .head(let head):
                    self.machine.receivedHead(head)
                case .end:
                    ended = true
                }
            }
        } catch .headTooLarge {
            let limit = self.parser.maxHeadBytes
            self.refuse(self.machine.headTooLarge(limit: limit), "request head too large", ["wsb.limit": "\(limit)"], context)
            return
        } catch {
            self.refuse(self.machine.failed(parserError: true), "malformed HTTP request", ["wsb.reason": "\(error.rawValue)"], context)
            return
        }
        if self.received?.readableBytes == 0 {
            self.received = nil
        }
        if !ended, let held = self.received?.readableBytes {
            let action = self.machine.receivedEarly(held: held, limit: self.parser.maxHeadBytes)
            if action != .none {
                self.refuse(action, "too many bytes before the handshake's answer", ["wsb.bytes": "\(held)"], context)
                return
            }
        }
        if ended {
            let edge = self.edge
            let action = self.machine.receivedEnd(
                settings: self.settings, health: { edge.unhealthyReason }, nextConnection: { edge.connectionIDs.make() })
            self.perform(action, context: context)
        }
    }

    /// Drops what was read, logs why at `debug`, and performs the machine's answer to it.
    private func refuse(
        _ action: HTTPGatewayStateMachine.Action, _ message: Logger.Message, _ why: Logger.Metadata, _ context: ChannelHandlerContext
    ) {
        self.received = nil
        var metadata = why
        metadata["wsb.remote"] = "\(context.channel.remoteAddress?.hostPort ?? "?")"
        self.edge.logger.debug(message, metadata: metadata)
        self.perform(action, context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // The request is read here, so what arrives here is the channel's error (I/O, TLS).
        self.perform(self.machine.failed(parserError: false), context: context)
    }

    // MARK: The state machine's actions

    private func perform(_ action: HTTPGatewayStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .respond(let response):
            self.respond(response, context: context)
        case .authenticate(let authentication):
            self.authenticate(authentication, context: context)
        case .open(let opening, let connection, let user, let path):
            self.open(opening, id: connection, user: user, path: path, context: context)
        case .close(let limit):
            if let limit {
                self.shard(context).countLimitHit(limit)
            }
            context.close(promise: nil)
        case .abandon(let connection):
            self.edge.authenticator.abandoned(connection)
        case .respondAbandoning(let response, let connection):
            self.edge.authenticator.abandoned(connection)
            self.respond(response, context: context)
        }
    }

    /// Asks the authenticator who the client is; its verdict goes to the machine.
    private func authenticate(_ authentication: HTTPGatewayStateMachine.Authentication, context: ChannelHandlerContext) {
        let remoteAddress = context.channel.remoteAddress
        let forwardedClient = self.settings.trustedProxies.forwardedClient(
            peer: remoteAddress, forwardedFor: authentication.headers["X-Forwarded-For"])
        self.forwardedClient = forwardedClient
        let request = HandshakeRequest(
            connection: authentication.connection, path: authentication.path, rawQuery: authentication.rawQuery,
            headers: HeaderFields(authentication.headers.map { (name: $0.name, value: $0.value) }),
            remoteAddress: remoteAddress, forwardedClient: forwardedClient, appPaths: authentication.appPaths
        )
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.edge.authenticator.authenticate(request, on: context.eventLoop).hop(to: context.eventLoop).whenComplete { verdict in
            let (handler, context) = loopBound.value
            let limit = handler.settings.maxConnectionsPerUser
            let users = handler.edge.userConnections
            let action = handler.machine.authenticated(verdict, channelActive: context.channel.isActive, userLimit: limit) { user in
                users.reserve(user, limit: limit)
            }
            handler.perform(action, context: context)
        }
    }

    /// Answers (101, or 200 and the stream's headers) and puts the connection in this handler's place,
    /// with the bytes that followed the request. The user's place is taken
    /// (``HTTPGatewayStateMachine/authenticated(_:channelActive:userLimit:reserve:)``).
    private func open(_ opening: HTTPGatewayStateMachine.Opening, id: ConnectionID, user: String, path: String, context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        let response: ByteBuffer
        let connection: any ChannelHandler
        switch opening {
        case .webSocket(let accept, let subprotocol, let since, let deflate):
            response = WebSocketHandshake.switchingProtocolsResponse(
                accept: accept, subprotocol: subprotocol ? SubprotocolFrame.name : nil, extensions: deflate?.responseHeader,
                allocator: allocator)
            connection = WebSocketConnection(
                id: id, user: user, path: path, edge: self.edge, settings: self.shared, subprotocol: subprotocol, since: since,
                forwardedClient: self.forwardedClient, deflate: deflate)
        case .eventStream(let since, let origin):
            response = EventStreamHandshake.response(origin: origin, allocator: allocator)
            connection = EventStreamConnection(
                id: id, user: user, path: path, edge: self.edge, settings: self.shared, since: since,
                forwardedClient: self.forwardedClient)
        }
        let pipeline = context.pipeline.syncOperations
        context.writeAndFlush(self.wrapOutboundOut(response), promise: nil)
        do {
            try pipeline.addHandler(connection)
        } catch {
            self.edge.logger.error("connection could not be opened", metadata: ["wsb.error": "\(error)"])
            self.edge.userConnections.release(user)  // the connection was not added: it will not release it
            context.close(promise: nil)
            return
        }
        // The connection comes right after this handler: what the client sent after the request
        // (its first frame, in the same packet) reaches it before this handler leaves.
        if let early = self.received {
            self.received = nil
            context.fireChannelRead(NIOAny(early))
        }
        pipeline.removeHandler(context: context, promise: nil)
    }

    // MARK: Answers

    private func shard(_ context: ChannelHandlerContext) -> Shard {
        self.edge.router.shard(for: context.eventLoop)
    }

    /// Counts and logs the answer as its note says, writes it, and closes the connection.
    private func respond(_ response: HTTPGatewayStateMachine.Response, context: ChannelHandlerContext) {
        switch response.note {
        case nil:
            break
        case .refused(let kind, let reason):
            self.shard(context).countRefusal(kind)
            // At a bounded rate: a client retrying with a bad token must not flood the log.
            self.edge.refusalLog.log(
                "websocket handshake refused",
                level: .info,
                metadata: [
                    "wsb.status": .stringConvertible(response.status.code), "wsb.reason": "\(kind.rawValue)", "wsb.detail": "\(reason)",
                    "wsb.remote": "\(self.forwardedClient ?? context.channel.remoteAddress?.hostPort ?? "?")",
                ],
                to: self.edge.logger
            )
        case .authenticatorFailed(let error):
            self.edge.logger.error("authenticator failed", metadata: ["wsb.error": "\(error)"])
            self.shard(context).countRefusal(.internalError)
        case .limitHit(let limit):
            self.shard(context).countLimitHit(limit)
        }
        self.received = nil
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(response.bytes(allocator: channel.allocator))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
