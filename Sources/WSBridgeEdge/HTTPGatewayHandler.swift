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
/// Once accepted it swaps the HTTP handlers for a ``WebSocketConnection`` (which reads the frames
/// itself) or an ``EventStreamConnection``.
final class HTTPGatewayHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case awaitingRequest
        case receiving(HTTPRequestHead)
        /// The request is complete and an authenticator is deciding.
        case deciding
        case done
    }

    private let edge: EdgeContext
    private let shared: SharedEdgeSettings
    private var settings: EdgeSettings { self.shared.value }
    private let httpDecoder: RemovableChannelHandler
    private let httpEncoder: RemovableChannelHandler
    /// Over `max_connections`: answer every request with 503.
    private let refuse: Bool
    private var state = State.awaitingRequest
    private var timeout: Scheduled<Void>?
    /// The connection an authenticator is deciding about, if any.
    private var decidingAbout: ConnectionID?
    /// The client's address from `X-Forwarded-For`, when a trusted proxy forwarded the request.
    private var forwardedClient: String?

    init(edge: EdgeContext, settings: SharedEdgeSettings, httpDecoder: RemovableChannelHandler, httpEncoder: RemovableChannelHandler, refuse: Bool) {
        self.edge = edge
        self.shared = settings
        self.httpDecoder = httpDecoder
        self.httpEncoder = httpEncoder
        self.refuse = refuse
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timeout = context.eventLoop.scheduleTask(in: self.settings.handshakeTimeout) {
            let (handler, context) = loopBound.value
            handler.handshakeTimedOut(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timeout?.cancel()
        self.timeout = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The client left while its handshake was being decided: the authenticator can stop waiting.
        if case .deciding = self.state, let connection = self.decidingAbout {
            self.state = .done
            self.edge.authenticator.abandoned(connection)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (self.unwrapInboundIn(data), self.state) {
        case (.head(let head), .awaitingRequest):
            self.state = .receiving(head)
        case (.body, .receiving):
            break  // No route here takes a body; it is read and ignored.
        case (.end, .receiving(let head)):
            self.state = .deciding
            self.handle(head, context: context)
        default:
            break  // Anything after the first request (pipelining) is ignored: we close after answering.
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is HTTPParserError, case .awaitingRequest = self.state {
            self.respond(context: context, status: .badRequest, body: "malformed HTTP request\n")
            return
        }
        if error is HTTPParserError, case .receiving = self.state {
            self.respond(context: context, status: .badRequest, body: "malformed HTTP request\n")
            return
        }
        context.close(promise: nil)
    }

    // MARK: Routing

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, rawQuery) = QueryString.split(uri: head.uri)
        if self.refuse {
            // Counted as a max_connections limit hit when the connection was accepted.
            self.respond(context: context, status: .serviceUnavailable, body: "too many connections\n")
            return
        }
        switch path {
        case self.settings.path:
            self.handleWebSocket(head, path: path, rawQuery: rawQuery, context: context)
        case self.settings.eventStreamPath:
            self.handleEventStream(head, path: path, rawQuery: rawQuery, context: context)
        case "/healthz":
            guard head.method == .GET || head.method == .HEAD else {
                self.respond(context: context, status: .methodNotAllowed, body: "use GET\n", headers: [("Allow", "GET, HEAD")])
                return
            }
            if let reason = self.edge.unhealthyReason {
                self.respond(context: context, status: .serviceUnavailable, body: reason + "\n", includeBody: head.method == .GET)
            } else {
                self.respond(context: context, status: .ok, body: "ok\n", includeBody: head.method == .GET)
            }
        default:
            self.respond(context: context, status: .notFound, body: "not found\n")
        }
    }

    private func handleWebSocket(_ head: HTTPRequestHead, path: String, rawQuery: String, context: ChannelHandlerContext) {
        guard head.method == .GET else {
            self.respond(context: context, status: .methodNotAllowed, body: "WebSocket handshakes use GET\n", headers: [("Allow", "GET")])
            return
        }
        let accept: String
        switch WebSocketHandshake.acceptValue(for: head.headers) {
        case .success(let value):
            accept = value
        case .failure(.notAnUpgrade):
            self.respond(
                context: context, status: .upgradeRequired, body: "this path speaks WebSocket only\n",
                headers: [("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13")]
            )
            return
        case .failure(.unsupportedVersion):
            self.respond(
                context: context, status: .upgradeRequired, body: "unsupported WebSocket version\n",
                headers: [("Sec-WebSocket-Version", "13")]
            )
            return
        case .failure(.badKey):
            self.respond(context: context, status: .badRequest, body: "missing or malformed Sec-WebSocket-Key\n")
            return
        }
        guard self.originAllowed(head, context: context) else { return }
        let subprotocol = SubprotocolFrame.isOffered(head.headers[canonicalForm: "sec-websocket-protocol"].map(String.init))
        var since: SessionPosition?
        if subprotocol, let text = QueryString.parse(rawQuery).first(where: { $0.name == "since" })?.value, !text.isEmpty {
            guard let position = SessionPosition(text) else {
                self.badPosition(text, context: context)
                return
            }
            since = position
        }
        // Offers are read from the raw header lines: a quoted parameter value may hold a comma.
        let deflate = self.settings.permessageDeflate ? DeflateAgreement.negotiate(head.headers["sec-websocket-extensions"]) : nil
        self.authorize(
            head, path: path, rawQuery: rawQuery, appPaths: [path],
            opening: .webSocket(accept: accept, subprotocol: subprotocol, since: since, deflate: deflate), context: context)
    }

    /// The server-sent-events fallback: `GET` with `Accept: text/event-stream`; same origin check, same
    /// authenticator (apps see `connect` with this path; with no app serving it, the apps of the
    /// WebSocket path decide), then a stream instead of an upgrade. `OPTIONS` answers a CORS preflight.
    private func handleEventStream(_ head: HTTPRequestHead, path: String, rawQuery: String, context: ChannelHandlerContext) {
        let origin = head.headers.first(name: "origin")
        if head.method == .OPTIONS {
            let allowed = self.settings.origins.allows(origin)
            self.respond(
                context: context, status: .ok, body: "",
                headers: EventStreamHandshake.preflightHeaders(origin: allowed ? origin : nil))
            return
        }
        guard head.method == .GET else {
            self.respond(context: context, status: .methodNotAllowed, body: "event streams use GET\n", headers: [("Allow", "GET, OPTIONS")])
            return
        }
        guard EventStreamHandshake.accepts(head.headers) else {
            self.respond(
                context: context, status: .notAcceptable,
                body: "this path serves \(EventStreamHandshake.mediaType) only: send Accept: \(EventStreamHandshake.mediaType)\n")
            return
        }
        guard self.originAllowed(head, context: context) else { return }
        let since: SessionPosition?
        switch EventStreamHandshake.since(headers: head.headers, query: QueryString.parse(rawQuery)) {
        case .success(let position):
            since = position
        case .failure(let bad):
            self.badPosition(bad.text, context: context)
            return
        }
        self.authorize(
            head, path: path, rawQuery: rawQuery, appPaths: path == self.settings.path ? [path] : [path, self.settings.path],
            opening: .eventStream(since: since, origin: origin), context: context)
    }

    /// What an accepted request becomes.
    private enum Opening {
        case webSocket(accept: String, subprotocol: Bool, since: SessionPosition?, deflate: DeflateAgreement?)
        case eventStream(since: SessionPosition?, origin: String?)
    }

    /// Refuses the request with 403 unless `allowed_origins` allows its `Origin`.
    private func originAllowed(_ head: HTTPRequestHead, context: ChannelHandlerContext) -> Bool {
        guard self.settings.origins.allows(head.headers.first(name: "origin")) else {
            self.refused(context: context, status: .forbidden, reason: "origin not allowed", kind: .origin)
            return false
        }
        return true
    }

    private func badPosition(_ text: String, context: ChannelHandlerContext) {
        self.respond(
            context: context, status: .badRequest,
            body: "since: expected the pos of a wsbridge.v1 message (USERPOS.ALLPOS), got \"\(text.prefix(100))\"\n")
    }

    /// Asks the authenticator who the client is, then opens the connection or answers the refusal.
    private func authorize(
        _ head: HTTPRequestHead, path: String, rawQuery: String, appPaths: [String], opening: Opening, context: ChannelHandlerContext
    ) {
        let connectionID = self.edge.connectionIDs.make()
        let forwardedClient = self.settings.trustedProxies.forwardedClient(
            peer: context.channel.remoteAddress, forwardedFor: head.headers["X-Forwarded-For"])
        self.forwardedClient = forwardedClient
        let request = HandshakeRequest(
            connection: connectionID, path: path, rawQuery: rawQuery,
            headers: HeaderFields(head.headers.map { (name: $0.name, value: $0.value) }),
            remoteAddress: context.channel.remoteAddress, forwardedClient: forwardedClient, appPaths: appPaths
        )
        self.decidingAbout = connectionID
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.edge.authenticator.authenticate(request, on: context.eventLoop).hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            guard case .deciding = handler.state, context.channel.isActive else { return }
            switch result {
            case .success(.accept(let user)):
                handler.open(opening, context: context, id: connectionID, user: user, path: path)
            case .success(.reject(let status, let reason, let kind)):
                handler.refused(context: context, status: HTTPResponseStatus(statusCode: status.code), reason: reason, kind: kind)
            case .failure(let error):
                handler.edge.logger.error("authenticator failed", metadata: ["wsb.error": "\(error)"])
                handler.shard(context).countRefusal(.internalError)
                handler.respond(context: context, status: .internalServerError, body: "authentication failed\n")
            }
        }
    }

    /// Counts the refusal, logs it at a bounded rate (a client retrying with a bad token must not
    /// flood the log), and answers.
    private func refused(context: ChannelHandlerContext, status: HTTPResponseStatus, reason: String, kind: RefusalKind) {
        self.shard(context).countRefusal(kind)
        self.edge.refusalLog.log(
            "websocket handshake refused",
            level: .info,
            metadata: [
                "wsb.status": .stringConvertible(status.code), "wsb.reason": "\(kind.rawValue)", "wsb.detail": "\(reason)",
                "wsb.remote": "\(self.forwardedClient ?? context.channel.remoteAddress?.hostPort ?? "?")",
            ],
            to: self.edge.logger
        )
        var headers: [(String, String)] = []
        if status == .unauthorized {
            headers.append(("WWW-Authenticate", "Bearer"))
        }
        self.respond(context: context, status: status, body: reason + "\n", headers: headers)
    }

    // MARK: Opening

    /// Takes the user's place under `max_connections_per_user`, answers (101, or 200 and the stream's
    /// headers) and swaps the HTTP handlers for the connection's, which reads the socket itself.
    private func open(_ opening: Opening, context: ChannelHandlerContext, id: ConnectionID, user: String, path: String) {
        guard self.edge.userConnections.reserve(user, limit: self.settings.maxConnectionsPerUser) else {
            self.shard(context).countLimitHit(.maxConnectionsPerUser)
            self.respond(
                context: context, status: .tooManyRequests,
                body: "user already holds \(self.settings.maxConnectionsPerUser ?? 0) connections (max_connections_per_user)\n")
            return
        }
        self.state = .done
        self.timeout?.cancel()
        self.timeout = nil
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

    // MARK: Responses

    private func shard(_ context: ChannelHandlerContext) -> Shard {
        self.edge.router.shard(for: context.eventLoop)
    }

    private func handshakeTimedOut(context: ChannelHandlerContext) {
        self.timeout = nil
        self.shard(context).countLimitHit(.handshakeTimeout)
        switch self.state {
        case .deciding:
            self.respond(context: context, status: .serviceUnavailable, body: "handshake timed out\n")
        case .awaitingRequest, .receiving:
            self.state = .done
            context.close(promise: nil)
        case .done:
            break
        }
    }

    private func respond(
        context: ChannelHandlerContext, status: HTTPResponseStatus, body: String,
        headers extra: [(String, String)] = [], includeBody: Bool = true
    ) {
        self.state = .done
        self.timeout?.cancel()
        self.timeout = nil
        var headers = HTTPHeaders([
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", "\(body.utf8.count)"),
            ("Connection", "close"),
        ])
        headers.add(contentsOf: extra)
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if includeBody {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
