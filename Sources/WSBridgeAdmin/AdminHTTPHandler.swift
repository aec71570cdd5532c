import NIOCore
import NIOHTTP1

/// Serves the admin listener's three routes over HTTP/1.1, keep-alive included:
///
/// | route | answer |
/// |---|---|
/// | `GET /metrics` | 200, Prometheus text format 0.0.4 |
/// | `GET /healthz` | 200 `ok` while the broker link is up, else 503 with the reason |
/// | `GET /readyz` | 200 `ready` once listening and while not draining, else 503 with the phase |
/// | `HEAD` of any of them | the same status and headers, no body |
/// | another method | 405 with `Allow: GET, HEAD` |
/// | another path | 404 |
///
/// A query string is ignored. Request bodies are read and dropped. It runs behind NIO's
/// `HTTPServerPipelineHandler`, which holds a pipelined request back until the previous response has
/// ended, so an asynchronous `/metrics` answer never overtakes or interleaves with another.
final class AdminHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The content type Prometheus expects for the text exposition format.
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    private let endpoints: AdminEndpoints
    private var head: HTTPRequestHead?

    init(endpoints: AdminEndpoints) {
        self.endpoints = endpoints
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            self.route(head, context: context)
        }
    }

    /// Any error ends the connection; a malformed request has already been answered 400 by NIO's
    /// protocol-error handler.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.read = event {
            context.close(promise: nil)  // an idle keep-alive connection
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func route(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let known = ["/metrics", "/healthz", "/readyz"].contains(path)
        guard known else {
            self.respond(context: context, to: head, status: .notFound, body: "not found\n")
            return
        }
        guard head.method == .GET || head.method == .HEAD else {
            self.respond(context: context, to: head, status: .methodNotAllowed, body: "use GET or HEAD\n", extraHeaders: [("Allow", "GET, HEAD")])
            return
        }
        switch path {
        case "/healthz":
            self.respond(context: context, to: head, probe: self.endpoints.health())
        case "/readyz":
            self.respond(context: context, to: head, probe: self.endpoints.readiness())
        default:
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            self.endpoints.metrics().hop(to: context.eventLoop).whenComplete { result in
                let (handler, context) = loopBound.value
                switch result {
                case .success(let body):
                    handler.respond(context: context, to: head, status: .ok, body: body, contentType: Self.metricsContentType)
                case .failure(let error):
                    handler.respond(context: context, to: head, status: .internalServerError, body: "cannot render metrics: \(error)\n")
                }
            }
        }
    }

    private func respond(context: ChannelHandlerContext, to head: HTTPRequestHead, probe: ProbeResult) {
        self.respond(context: context, to: head, status: probe.passed ? .ok : .serviceUnavailable, body: probe.detail + "\n")
    }

    private func respond(
        context: ChannelHandlerContext, to head: HTTPRequestHead, status: HTTPResponseStatus, body: String,
        extraHeaders: [(String, String)] = []
    ) {
        self.respond(
            context: context, to: head, status: status, body: ByteBuffer(string: body),
            contentType: "text/plain; charset=utf-8", extraHeaders: extraHeaders
        )
    }

    private func respond(
        context: ChannelHandlerContext, to head: HTTPRequestHead, status: HTTPResponseStatus, body: ByteBuffer,
        contentType: String, extraHeaders: [(String, String)] = []
    ) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders([
            ("Content-Type", contentType),
            ("Content-Length", "\(body.readableBytes)"),
            ("Cache-Control", "no-store"),
        ])
        headers.add(contentsOf: extraHeaders)
        let keepAlive = head.isKeepAlive
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        }
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(self.wrapOutboundOut(.head(response)), promise: nil)
        if head.method != .HEAD {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension AdminHTTPHandler: Sendable {}
