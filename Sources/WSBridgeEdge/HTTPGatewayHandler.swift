import Logging
import NIOCore
import NIOHTTP1
import WSBridgeCore
import WSBridgeDeflate

/// Serves the HTTP side of the public listener until a connection opens: `GET /healthz`, the opening
/// handshake on the WebSocket path (header checks, origin, auth, then 101), the server-sent-events
/// fallback on `sse_path` (the same checks, then 200 and a stream), and proper statuses for everything
/// else. Refusals are real HTTP responses sent before any upgrade, then the connection closes.
///
/// What each request gets is decided by its ``HTTPGatewayStateMachine``; this handler performs the
/// machine's actions: it asks the authenticator, writes the answers, counts and logs them, keeps the
/// handshake timer. Once accepted it swaps the HTTP handlers for a ``WebSocketConnection`` (which reads
/// the frames itself) or an ``EventStreamConnection``.
final class HTTPGatewayHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let edge: EdgeContext
    private let shared: SharedEdgeSettings
    private var settings: EdgeSettings { self.shared.value }
    private let httpDecoder: RemovableChannelHandler
    private let httpEncoder: RemovableChannelHandler
    private var machine: HTTPGatewayStateMachine
    private var timeout: Scheduled<Void>?
    /// The client's address from `X-Forwarded-For`, when a trusted proxy forwarded the request.
    private var forwardedClient: String?

    /// - Parameter refuse: over `max_connections`: every request is answered 503.
    init(edge: EdgeContext, settings: SharedEdgeSettings, httpDecoder: RemovableChannelHandler, httpEncoder: RemovableChannelHandler, refuse: Bool) {
        self.edge = edge
        self.shared = settings
        self.httpDecoder = httpDecoder
        self.httpEncoder = httpEncoder
        self.machine = HTTPGatewayStateMachine(overCapacity: refuse)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timeout = context.eventLoop.scheduleTask(in: self.settings.handshakeTimeout) {
            let (handler, context) = loopBound.value
            handler.timeout = nil
            handler.perform(handler.machine.timedOut(), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimeout()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.perform(self.machine.channelInactive(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.machine.receivedHead(head)
        case .body:
            break  // No route here takes a body; it is read and ignored.
        case .end:
            let edge = self.edge
            let action = self.machine.receivedEnd(
                settings: self.settings, health: { edge.unhealthyReason }, nextConnection: { edge.connectionIDs.make() })
            self.perform(action, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.perform(self.machine.failed(parserError: error is HTTPParserError), context: context)
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

    /// Answers (101, or 200 and the stream's headers) and swaps the HTTP handlers for the connection's,
    /// which reads the socket itself. The user's place is taken (``HTTPGatewayStateMachine/authenticated(_:channelActive:userLimit:reserve:)``).
    private func open(_ opening: HTTPGatewayStateMachine.Opening, id: ConnectionID, user: String, path: String, context: ChannelHandlerContext) {
        self.cancelTimeout()
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
        do {
            // The encoder goes first so the raw response bytes pass straight to the socket.
            pipeline.removeHandler(self.httpEncoder, promise: nil)
            context.writeAndFlush(NIOAny(response), promise: nil)
            try pipeline.addHandler(connection)
            pipeline.removeHandler(context: context, promise: nil)
            // Last: bytes the HTTP decoder read past the request flow on to the connection, as a ByteBuffer.
            pipeline.removeHandler(self.httpDecoder, promise: nil)
        } catch {
            self.edge.logger.error("connection could not be opened", metadata: ["wsb.error": "\(error)"])
            self.edge.userConnections.release(user)  // the connection was not added: it will not release it
            context.close(promise: nil)
        }
    }

    // MARK: Answers

    private func shard(_ context: ChannelHandlerContext) -> Shard {
        self.edge.router.shard(for: context.eventLoop)
    }

    private func cancelTimeout() {
        self.timeout?.cancel()
        self.timeout = nil
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
        self.cancelTimeout()
        var headers = HTTPHeaders([
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "\(response.body.utf8.count)"),
            ("Connection", "close"),
        ])
        headers.add(contentsOf: response.headers.map { ($0.name, $0.value) })
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if response.includeBody {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: response.body)))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
