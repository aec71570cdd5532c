import NIOCore
import WSBridgeProtocol

/// One request on its way to the handler: it is built once the handler has assigned its id, and
/// `reply` is completed with the event that answers it (`welcome`, `ok`, `pong`, `status` or `error`).
struct AppClientRequest: Sendable {
    let make: @Sendable (RequestID) -> AppRequest
    let reply: EventLoopPromise<AppEvent>
}

/// Tells the handler that `hello` has waited `limit`: unless `welcome` has come meanwhile, it ends the
/// connection with ``WSBridgeClientError/timedOut(_:)``.
struct AppClientHandshakeTimeout: Sendable {
    let limit: TimeAmount
}

/// The client's side of one app connection, above `ByteToMessageHandler(AppFrameDecoder)`.
///
/// Outbound, it takes ``AppClientRequest``s, assigns each an id (``ReplyMatcher``), checks it
/// (``AppRequestEncoder/check(_:)``, and against the `max_frame_bytes` announced in `welcome`, past
/// which wsbridge would drop the connection) and writes its frame. Inbound, it parses each frame with
/// ``AppEventParser``: a reply completes the request it answers (by id), `connect`, `message`,
/// `closed`, `deliver` and `shutdown` go to the `events` continuation, and event types this side
/// does not know are skipped, as the protocol asks.
///
/// The connection ends, failing every request in flight and finishing `events`, when:
/// - it closes (by the daemon: ``WSBridgeClientError/connectionClosed(reason:)``; by the client, the
///   same with its own reason);
/// - a frame cannot be read, is over the size limit, or a reply answers nothing in flight
///   (``WSBridgeClientError/protocolViolation(_:)``; the handler closes the channel);
/// - an ``AppClientHandshakeTimeout`` user event arrives before `welcome`.
///
/// An `error` without an id while nothing is in flight, or a `slow_consumer` (never a reply), is
/// wsbridge saying why it is about to close: it becomes the reason requests fail with. So does a
/// `frame_too_large`, which also answers the oldest request.
///
/// Event-loop confined: it is not `Sendable`, and the client reaches it only through the channel.
final class AppClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = AppClientRequest
    typealias OutboundOut = ByteBuffer

    private var matcher = ReplyMatcher<EventLoopPromise<AppEvent>>()
    private let events: AsyncStream<AppEvent>.Continuation
    private let ended: EventLoopPromise<WSBridgeClientError>
    /// Set once the connection is over (or closing): what later requests fail with.
    private var failure: WSBridgeClientError?
    /// Why wsbridge said it would close, should it close.
    private var announcedReason: String?
    private var isFinished = false
    /// Whether `welcome` has come.
    private var isWelcomed = false
    /// The largest request frame body wsbridge reads (`max_frame_bytes`), once `welcome` said it.
    private var maxRequestBytes = Int.max

    /// - Parameters:
    ///   - events: where unsolicited events go; finished when the connection ends.
    ///   - ended: succeeded with the reason the connection ended, once it has; what the client tells
    ///     requests made after the handler is gone with the channel.
    init(events: AsyncStream<AppEvent>.Continuation, ended: EventLoopPromise<WSBridgeClientError>) {
        self.events = events
        self.ended = ended
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            return refuse(request, promise, with: failure)
        }
        let id = matcher.assignID()
        let message = request.make(id)
        do {
            try AppRequestEncoder.check(message)
        } catch {
            return refuse(request, promise, with: .invalidRequest(code: error.code, message: error.message))
        }
        let frame = AppRequestEncoder.frame(message, allocator: context.channel.allocator)
        let size = frame.readableBytes - AppFrameDecoder.lengthFieldBytes
        guard size <= maxRequestBytes else {
            let message = "the request is \(size) bytes, over wsbridge's max_frame_bytes of \(maxRequestBytes)"
            return refuse(request, promise, with: .invalidRequest(code: .frameTooLarge, message: message))
        }
        matcher.expect(id, request.reply)
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenFailure { error in
            // The reply will never come; the channel is closing, so the reason is its own.
            let reason = self.failure ?? .connectionClosed(reason: "the request could not be written: \(error)")
            self.matcher.withdraw(id)?.fail(reason)
        }
        context.write(wrapOutboundOut(frame), promise: written)
    }

    /// Fails a request that is not written: its reply and its write.
    private func refuse(_ request: AppClientRequest, _ promise: EventLoopPromise<Void>?, with error: WSBridgeClientError) {
        request.reply.fail(error)
        promise?.fail(error)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if failure == nil {
            failure = .connectionClosed(reason: "the client closed the connection")
        }
        context.close(mode: mode, promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let timeout = event as? AppClientHandshakeTimeout else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        if !isWelcomed {
            end(context, with: .timedOut("wsbridge did not answer \"hello\" within \(timeout.limit)"))
        }
        promise?.succeed(())
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard failure == nil else { return }
        switch AppEventParser.parse(unwrapInboundIn(data)) {
        case .success(let event):
            receive(event, context: context)
        case .failure(let error) where error.isUnknownType:
            return
        case .failure(let error):
            end(context, with: .protocolViolation("\(error)"))
        }
    }

    private func receive(_ event: AppEvent, context: ChannelHandlerContext) {
        let id: RequestID?
        switch event {
        case .connect, .message, .closed, .deliver, .gap, .presenceChanged:
            events.yield(event)
            return
        case .shutdown:
            announcedReason = "wsbridge shut down"
            events.yield(event)
            return
        case .error(nil, let code, let message) where matcher.count == 0 || code == .slowConsumer:
            announcedReason = "wsbridge reported \(code.rawValue): \(message)"
            return
        case .error(let replyID, let code, let message):
            if AppProtocolError(code: code, message: message).closesConnection {
                announcedReason = "wsbridge reported \(code.rawValue): \(message)"
            }
            id = replyID
        case .welcome(let replyID, _, _, let limits):
            isWelcomed = true
            maxRequestBytes = limits.maxFrameBytes
            id = replyID
        case .ok(let replyID, _, _, _), .pong(let replyID), .status(let replyID, _), .presence(let replyID, _):
            id = replyID
        }
        guard let waiter = matcher.match(id) else {
            let which = id.map { "request \($0.json)" } ?? "a request"
            end(context, with: .protocolViolation("a \"\(event.type)\" reply for \(which), which is not in flight"))
            return
        }
        waiter.succeed(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let error as AppProtocolError:
            end(context, with: .protocolViolation(error.message))
        case ByteToMessageDecoderError.leftoverDataWhenDone(let leftover):
            end(context, with: .connectionClosed(reason: "wsbridge closed the connection \(leftover.readableBytes) bytes into a frame"))
        default:
            end(context, with: .connectionClosed(reason: "\(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(with: .connectionClosed(reason: announcedReason ?? "wsbridge closed the connection"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(with: .connectionClosed(reason: "the connection was torn down"))
    }

    // MARK: Ending

    /// Ends the connection with `error` (unless it is already ending) and closes the channel.
    private func end(_ context: ChannelHandlerContext, with error: WSBridgeClientError) {
        guard failure == nil else { return }
        finish(with: error)
        context.close(promise: nil)
    }

    /// Fails every request in flight with the first reason recorded (`error` if none), finishes the
    /// events and reports the reason as `ended`.
    private func finish(with error: WSBridgeClientError) {
        let reason = failure ?? error
        failure = reason
        for waiter in matcher.removeAll() {
            waiter.fail(reason)
        }
        guard !isFinished else { return }
        isFinished = true
        events.finish()
        ended.succeed(reason)
    }
}

@available(*, unavailable)
extension AppClientHandler: Sendable {}
