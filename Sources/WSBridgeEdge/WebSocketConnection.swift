import Logging
import NIOCore
import NIOWebSocket
import WSBridgeCore
import WSBridgeDeflate
import WSBridgeJSON

/// One upgraded WebSocket connection: a ``Session`` of its user in the shard of its event loop, and the
/// channel handler that speaks RFC 6455 to the client.
///
/// Outbound, deliveries are written as pre-encoded frames (no encoder in the pipeline). The channel's
/// write-buffer high-water mark is `max_queue_bytes`: when a client falls that far behind, the channel
/// turns unwritable and the connection is closed with 1008 ("slow consumer") without slowing anyone else.
/// This handler is the one place where protocol errors become close frames.
///
/// Inbound, it reads the socket's bytes itself (``ClientFrameParser``): no frame decoder in the pipeline
/// either, so a connection is one handler.
public final class WebSocketConnection: Session, ChannelInboundHandler, ClientConnection {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        case open
        /// We sent a close frame and wait for the client's (or the timeout).
        case closing(Scheduled<Void>?)
        case closed
    }

    public let id: ConnectionID
    public let path: String
    private let edge: EdgeContext
    private let shared: SharedEdgeSettings
    private var settings: EdgeSettings { self.shared.value }
    private var assembler: MessageAssembler
    private var state = State.open
    private var context: ChannelHandlerContext?
    private var shard: Shard?
    private var lastHeard: NIODeadline
    private var lastPing: NIODeadline
    private var closeCode: CloseCode?
    private var closeReason = ""
    /// Whether the client sent a close frame (tells 1005 from 1006 when it carried no code).
    private var closeFrameReceived = false
    /// Deliveries collected since the last flush, written as one buffer.
    private var unflushed = OutboundBatch()
    /// The bytes of a frame not all read yet; nil between frames, so an idle connection holds no buffer.
    private var inbound: ByteBuffer?
    /// The client broke the protocol (a header that cannot be cut into frames, a frame out of place,
    /// invalid UTF-8, a message over the limits): nothing after it is processed (``failConnection``);
    /// what it sends next is dropped until it closes, or the close timeout.
    private var inboundUnreadable = false
    /// The UTF-8 check of a text frame not all read yet (``checkPartialText``); nil otherwise.
    private var partialText: PartialText?
    /// The LZ77 window of this connection's compressed frames (9 to 15 bits) when it negotiated
    /// permessage-deflate, 0 when not. The zlib streams are the event loop's (``DeflateCodecs``).
    private let deflateWindow: UInt8
    /// With the `wsbridge.v1` subprotocol: the client's positions; every frame is JSON (`SubprotocolFrame`).
    /// Boxed, so that a plain connection pays one pointer for it.
    private let positions: CursorBox?
    /// What went through the connection, for its closing log line.
    private var tally = ConnectionTally()
    /// The `max_client_messages_per_second` bucket (used only when the limit is set).
    private var rateLimiter = MessageRateLimiter()
    /// The client's address from a trusted proxy's `X-Forwarded-For`, for the log lines.
    private let forwardedClient: String?

    /// - Parameters:
    ///   - subprotocol: the client negotiated `wsbridge.v1`.
    ///   - since: where it asked to resume (`?since=`); nil for now.
    ///   - deflate: the permessage-deflate agreement, nil without compression.
    init(
        id: ConnectionID, user: String, path: String, edge: EdgeContext, settings: SharedEdgeSettings,
        subprotocol: Bool = false, since: SessionPosition? = nil, forwardedClient: String? = nil,
        deflate: DeflateAgreement? = nil
    ) {
        self.id = id
        self.forwardedClient = forwardedClient
        self.path = path
        self.edge = edge
        self.shared = settings
        self.assembler = MessageAssembler(
            maxMessageBytes: settings.value.maxMessageBytes, maxFragments: settings.value.maxMessageFragments,
            deflate: deflate != nil)
        self.deflateWindow = UInt8(deflate?.serverWindowBits ?? 0)
        self.lastHeard = .uptimeNanoseconds(0)
        self.lastPing = .uptimeNanoseconds(0)
        self.positions = subprotocol ? CursorBox(SessionCursor(since: since, holdLimit: settings.value.maxQueueBytes)) : nil
        super.init(user: user, tracksPositions: subprotocol)
    }

    /// Whether the client speaks the `wsbridge.v1` subprotocol.
    public var speaksSubprotocol: Bool { self.positions != nil }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.lastHeard = context.eventLoop.now
        self.lastPing = self.lastHeard
        let shard = self.edge.router.shard(for: context.eventLoop)
        self.shard = shard
        shard.add(self)
        self.edge.counters.openWebSockets.wrappingIncrement(ordering: .relaxed)
        self.edge.counters.upgrades.wrappingIncrement(ordering: .relaxed)
        if self.deflateWindow != 0 {
            self.edge.counters.deflateUpgrades.wrappingIncrement(ordering: .relaxed)
        }
        self.tally.openedAt = self.lastHeard
        if let rate = self.settings.maxClientMessagesPerSecond {
            self.rateLimiter.fill(perSecond: rate, now: self.lastHeard)
        }
        self.logLife(
            "connection opened",
            ["wsb.subprotocol": .stringConvertible(self.positions != nil), "wsb.deflate": .stringConvertible(self.deflateWindow != 0)])
        self.edge.sink.connectionOpened(
            ConnectionHandle(self, id: self.id, user: self.user, path: self.path, appPaths: [self.path], eventLoop: context.eventLoop))
    }

    private func logLife(_ message: Logger.Message, _ extra: Logger.Metadata) {
        self.edge.logLife(
            message, connection: self.id, user: self.user,
            remote: self.forwardedClient ?? self.context?.channel.remoteAddress?.hostPort ?? "?", path: self.path, extra)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
        self.context = nil
        self.inbound = nil
        self.partialText = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.tally.bytesIn += bytes.readableBytes
        guard self.readsFrames else { return }
        // Adopting the read buffer costs no copy; only a remainder is copied out of it (below).
        let adopted = self.inbound == nil
        if adopted {
            self.inbound = bytes
        } else {
            self.inbound!.writeBuffer(&bytes)
        }
        let parser = ClientFrameParser(maxFrameSize: self.assembler.maxFrameBytes)
        var framesRead = 0
        // Re-checked after every frame: one can close the connection, and then what follows is ignored.
        while self.readsFrames, self.inbound != nil {
            let frame: WebSocketFrame?
            do {
                frame = try parser.nextFrame(from: &self.inbound!)
            } catch {
                self.unreadable(error)
                return
            }
            guard let frame else { break }
            self.partialText = nil
            if framesRead == 0 {
                self.lastHeard = context.eventLoop.now
            }
            framesRead += 1
            self.receive(frame, context: context)
        }
        if self.readsFrames, self.inbound != nil {
            self.checkPartialText(parser: parser)
        }
        self.keepRemainder(adopted: adopted, framesRead: framesRead, allocator: context.channel.allocator)
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        // I/O errors (a reset connection): nothing to tell the client.
        self.edge.logger.debug(
            "websocket connection error",
            metadata: ["wsb.conn": "\(self.id)", "wsb.error": "\(error)"]
        )
        context.close(promise: nil)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable, case .open = self.state {
            let pending = self.pendingOutboundBytes
            self.shard?.countLimitHit(.slowConsumer)
            self.shard?.noteOutboundQueue(bytes: pending)
            self.edge.slowConsumerLog.log(
                "closing slow consumer",
                level: .info,
                metadata: [
                    "wsb.conn": "\(self.id)", "wsb.user": "\(self.user)",
                    "wsb.limit_bytes": .stringConvertible(self.settings.maxQueueBytes), "wsb.pending_bytes": .stringConvertible(pending),
                ],
                to: self.edge.logger
            )
            self.close(.policyViolation, reason: "slow consumer")
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Session

    /// Collects the frame in ``unflushed``; the shard's flush writes them all as one buffer.
    public override func deliver(_ delivery: Delivery) {
        guard case .open = self.state, let context = self.context else { return }
        self.tally.messagesOut += 1
        self.collect(self.frame(for: delivery), context: context)
    }

    /// A delivery for a `wsbridge.v1` client: its own frame, with the client's position after it.
    public override func deliver(_ delivery: Delivery, stream: SessionStream, position: StreamPosition?) {
        guard case .open = self.state, let context = self.context, let positions = self.positions else { return }
        switch positions.cursor.admit(delivery, stream: stream, at: position) {
        case .deliver(let after):
            self.tally.messagesOut += 1
            let frame = SubprotocolFrame.message(
                data: delivery.data, isBinary: delivery.isBinary, position: after, allocator: context.channel.allocator)
            self.collect(self.compressed(frame), context: context)
        case .skip, .held:
            break
        case .overflowed:
            // The client comes back with its last position and gets it all from the history.
            self.close(.policyViolation, reason: "too much arrived while recovering")
        }
    }

    public override var recoverySince: SessionPosition? { self.positions?.cursor.since }

    public override func gap(_ gap: StreamGap, stream: SessionStream) {
        guard case .open = self.state, let context = self.context, let positions = self.positions else { return }
        if case .gap(let gap, let position) = positions.cursor.gap(gap, stream: stream) {
            self.collect(SubprotocolFrame.gap(gap, stream: stream, position: position, allocator: context.channel.allocator), context: context)
        }
    }

    /// Writes what the client missed (gaps first), what arrived meanwhile, then `ready`, and flushes.
    public override func recovered(_ recovery: SessionRecovery) {
        guard case .open = self.state, let context = self.context, let positions = self.positions else { return }
        let allocator = context.channel.allocator
        var recovered = 0
        for output in positions.cursor.recovered(recovery) {
            switch output {
            case .deliver(let delivery, let position):
                if delivery.source == .history { recovered += 1 }
                self.tally.messagesOut += 1
                self.collect(
                    self.compressed(
                        SubprotocolFrame.message(data: delivery.data, isBinary: delivery.isBinary, position: position, allocator: allocator)),
                    context: context)
            case .gap(let gap, let position):
                let stream: SessionStream = gap.stream == .all ? .all : .user
                self.collect(SubprotocolFrame.gap(gap, stream: stream, position: position, allocator: allocator), context: context)
            }
            guard case .open = self.state else { return }
        }
        self.collect(SubprotocolFrame.ready(position: positions.cursor.position, recovered: recovered, allocator: allocator), context: context)
        self.flush()
    }

    /// The frame to write for `delivery`: compressed for a client that negotiated permessage-deflate,
    /// when the message is at least `deflate_min_bytes`; one compression serves all its recipients.
    private func frame(for delivery: Delivery) -> ByteBuffer {
        guard self.deflateWindow != 0, delivery.payload.readableBytes >= self.settings.deflateMinBytes else {
            return delivery.frame
        }
        return FrameCompression.frame(for: delivery, windowBits: Int(self.deflateWindow), counters: self.edge.counters)
    }

    /// A frame of this connection's own (not shared with other recipients), compressed on the same terms.
    private func compressed(_ frame: ByteBuffer) -> ByteBuffer {
        guard self.deflateWindow != 0, frame.readableBytes >= self.settings.deflateMinBytes else { return frame }
        return FrameCompression.compress(frame, windowBits: Int(self.deflateWindow), counters: self.edge.counters)
    }

    /// Appends one frame to ``unflushed``.
    private func collect(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        self.tally.bytesOut += frame.readableBytes
        self.unflushed.append(frame, allocator: context.channel.allocator)
        // Collected bytes count toward `max_queue_bytes` only once written: past the limit, write them
        // now, so the channel's high-water mark sees them and a slow consumer is closed as usual.
        if self.unflushed.count >= self.settings.maxQueueBytes {
            self.writeUnflushed(context: context)
        }
    }

    public override func flush() {
        guard let context = self.context else { return }
        if let frames = self.unflushed.take() {
            context.writeAndFlush(self.wrapOutboundOut(frames), promise: nil)
        } else {
            context.flush()
        }
    }

    public override func deliverAndFlush(_ delivery: Delivery) {
        guard case .open = self.state, let context = self.context else { return }
        self.tally.messagesOut += 1
        self.writeAndFlush(self.frame(for: delivery), context: context)
    }

    /// The bytes in the channel's outbound buffer (written, not yet taken by the kernel) and those
    /// collected for the next flush.
    public override var pendingOutboundBytes: Int {
        guard let channel = self.context?.channel else { return 0 }
        let buffered = (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        return buffered + self.unflushed.count
    }

    /// Bytes collected for the next flush (for tests).
    var unflushedBytes: Int { self.unflushed.count }

    /// Writes the collected deliveries, without flushing: before any other frame, to keep the order.
    private func writeUnflushed(context: ChannelHandlerContext) {
        guard let frames = self.unflushed.take() else { return }
        context.write(self.wrapOutboundOut(frames), promise: nil)
    }

    /// Writes `frame` after the collected deliveries and flushes both. No promise unless asked for: a
    /// promise is an allocation, and this is the path of every lone delivery.
    private func writeAndFlush(_ frame: ByteBuffer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        self.tally.bytesOut += frame.readableBytes
        self.writeUnflushed(context: context)
        context.writeAndFlush(self.wrapOutboundOut(frame), promise: promise)
    }

    /// Sends one message to this client (an app's `send`), flushed at once, with whatever deliveries
    /// wait for the shard's write-coalescing window (they were written first, so order is kept).
    public func send(_ payload: ByteBuffer, isBinary: Bool) {
        guard case .open = self.state, let context = self.context else { return }
        let allocator = context.channel.allocator
        let frame =
            self.positions != nil
            ? SubprotocolFrame.sent(payload, isBinary: isBinary, allocator: allocator)
            : ServerFrame.encode(isBinary ? .binary : .text, payload: payload, allocator: allocator)
        self.tally.messagesOut += 1
        self.writeAndFlush(self.compressed(frame), context: context)
        self.shard?.countDirectDelivery(from: .app)
    }

    /// The node is shutting down: close with 1001, so the client reconnects elsewhere.
    public override func drain() {
        self.close(.goingAway, reason: "server shutting down")
    }

    public override func heartbeat(now: NIODeadline) {
        guard case .open = self.state, let context = self.context else { return }
        let silence = now - self.lastHeard
        if let idle = self.settings.idleTimeout, silence >= idle {
            self.shard?.countLimitHit(.idleTimeout)
            self.close(.goingAway, reason: "idle timeout")
            return
        }
        if let interval = self.settings.pingInterval, silence >= interval, now - self.lastPing >= interval {
            self.lastPing = now
            let ping = ServerFrame.encode(.ping, payload: ByteBuffer(), allocator: context.channel.allocator)
            self.writeAndFlush(ping, context: context)
        }
    }

    // MARK: Frames

    /// Whether bytes from the client are still read: not after a header that cannot be cut into frames,
    /// nor after the client's close frame (RFC 6455 §5.5.1: it sends nothing after it), nor once closed.
    private var readsFrames: Bool {
        if case .closed = self.state { return false }
        return !self.inboundUnreadable && !self.closeFrameReceived
    }

    private func receive(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        let counters = self.edge.counters
        let action = self.assembler.receive(frame) {
            counters.inflatedMessages.wrappingIncrement(ordering: .relaxed)
            return DeflateCodecs.current.inflater
        }
        switch action {
        case .none, .pongReceived:
            break
        case .message(let payload, let isBinary):
            guard case .open = self.state else { return }
            if let rate = self.settings.maxClientMessagesPerSecond,
                !self.rateLimiter.admit(perSecond: rate, now: context.eventLoop.now)
            {
                self.shard?.countLimitHit(.clientMessageRate)
                self.close(.policyViolation, reason: "more than \(rate) messages per second")
                return
            }
            self.edge.counters.clientMessages.wrappingIncrement(ordering: .relaxed)
            self.tally.messagesIn += 1
            self.edge.sink.messageReceived(self.id, user: self.user, payload: payload, isBinary: isBinary)
        case .pong(let payload):
            guard case .open = self.state else { return }
            self.writeAndFlush(ServerFrame.encode(.pong, payload: payload, allocator: context.channel.allocator), context: context)
        case .closeReceived(let code, let reason):
            self.closeReceived(context: context, code: code, reason: reason)
        case .fail(let code, let reason, let limit):
            if let limit {
                self.shard?.countLimitHit(limit)
            }
            self.failConnection(code, reason: reason)
        }
    }

    /// The client's bytes cannot be cut into frames: drop them and everything after, and close.
    private func unreadable(_ failure: ClientFrameParser.Failure) {
        switch failure {
        case .frameTooLarge:
            self.shard?.countLimitHit(.messageTooBig)
            self.failConnection(.messageTooBig, reason: "frame exceeds \(self.settings.maxMessageBytes) bytes")
        case .protocolError(let reason):
            self.failConnection(.protocolError, reason: reason)
        }
    }

    /// "Fail the WebSocket Connection" (RFC 6455 §7.1.7): the client broke the protocol or a limit on
    /// what it sends, so nothing more it sends is processed, not even a close frame (after a broken
    /// frame, or in answer to its own broken close frame, none is coming that can be trusted). The
    /// close frame goes out and the server's side of TCP is shut right after it.
    private func failConnection(_ code: CloseCode, reason: String) {
        self.inbound = nil
        self.partialText = nil
        self.inboundUnreadable = true
        self.startClosing(code, reason: reason, shutOutput: true)
    }

    /// Fails fast on invalid UTF-8 inside a text frame that has not all arrived (RFC 6455 §8.1; the
    /// Autobahn cases 6.4.3 and 6.4.4 send one in pieces): the bytes that came so far are unmasked and
    /// checked, each once, continuing the validator of the message. The assembler checks the whole
    /// frame again when it is complete; this only makes the verdict come sooner.
    private func checkPartialText(parser: ClientFrameParser) {
        guard let buffer = self.inbound, let header = try? parser.header(in: buffer), let key = header.maskKey else {
            return
        }
        if self.partialText == nil {
            guard let validator = self.assembler.textValidator(for: header) else { return }
            self.partialText = PartialText(validator)
        }
        let check = self.partialText!
        let arrived = min(buffer.writerIndex - header.payloadStart, header.payloadLength)
        let offset = check.checked
        guard arrived > offset, let fresh = buffer.viewBytes(at: header.payloadStart + offset, length: arrived - offset)
        else { return }
        check.checked = arrived
        // Unmasked as they are fed: no copy of the bytes.
        let valid = check.validator.feed(fresh.enumerated().lazy.map { $0.element ^ key[(offset + $0.offset) % 4] })
        if !valid {
            self.failConnection(.invalidPayload, reason: "text message is not valid UTF-8")
        }
    }

    /// After the frames of a read are taken: nothing is kept when all bytes were used (the common case:
    /// clients send whole frames). An unfinished frame is copied into a buffer of its own when it sits in
    /// the socket's read buffer (which NIO reuses for the next read only if no one else holds it) or
    /// behind frames already taken (which would otherwise stay allocated as long as it waits).
    private func keepRemainder(adopted: Bool, framesRead: Int, allocator: ByteBufferAllocator) {
        guard let remainder = self.inbound else { return }
        if remainder.readableBytes == 0 || !self.readsFrames {
            self.inbound = nil
        } else if adopted || framesRead > 0 {
            var own = allocator.buffer(capacity: remainder.readableBytes)
            own.writeImmutableBuffer(remainder)
            self.inbound = own
        }
    }

    /// The capacity of the storage behind the bytes kept for an unfinished frame; nil when none is kept.
    var inboundStorageCapacity: Int? {
        self.inbound?.storageCapacity
    }

    // MARK: Closing

    /// Starts the close handshake: sends a close frame, stops deliveries, and closes the socket when the
    /// client answers or after `close_timeout`.
    public func close(_ code: CloseCode, reason: String) {
        self.startClosing(code, reason: reason, shutOutput: false)
    }

    /// ``close(_:reason:)``; with `shutOutput`, for a connection whose bytes can no longer be read (RFC
    /// 6455 §7.1.7, "Fail the WebSocket Connection"), the server's side of the TCP connection is shut
    /// once the close frame is written: the client reads the frame, then the end of the stream, and
    /// need not answer with a close frame that could not be found among its bytes anyway. What it
    /// still sends is dropped until it closes, or for at most `close_timeout`.
    private func startClosing(_ code: CloseCode, reason: String, shutOutput: Bool) {
        guard case .open = self.state, let context = self.context else { return }
        self.closeCode = code
        self.closeReason = reason
        let frame = ServerFrame.close(code, reason: reason, allocator: context.channel.allocator)
        var written: EventLoopPromise<Void>?
        if shutOutput {
            let channel = context.channel
            written = context.eventLoop.makePromise(of: Void.self)
            written!.futureResult.whenSuccess {
                channel.close(mode: .output, promise: nil)
            }
        }
        // Before the write: a write that fails closes the channel (and finishes the connection)
        // before writeAndFlush returns.
        self.state = .closing(nil)
        self.removeFromShard()
        self.writeAndFlush(frame, context: context, promise: written)
        guard case .closing = self.state else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.state = .closing(
            context.eventLoop.scheduleTask(in: self.settings.closeTimeout) {
                loopBound.value.abort()
            })
    }

    /// The client did not take the close in time: reset the connection.
    private func abort() {
        self.context?.reset()
    }

    private func closeReceived(context: ChannelHandlerContext, code: CloseCode?, reason: String) {
        switch self.state {
        case .open:
            // Echo the client's code (RFC 6455 §5.5.1), then close the TCP connection: the server closes first.
            self.closeFrameReceived = true
            self.closeCode = code
            self.closeReason = reason
            var payload = context.channel.allocator.buffer(capacity: 2)
            if let code { payload.writeInteger(code.rawValue) }
            let frame = ServerFrame.encode(.close, payload: payload, allocator: context.channel.allocator)
            self.state = .closing(nil)
            self.removeFromShard()
            let channel = context.channel
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in
                channel.close(promise: nil)
            }
            self.writeAndFlush(frame, context: context, promise: written)
        case .closing:
            context.close(promise: nil)
        case .closed:
            break
        }
    }

    private func removeFromShard() {
        self.shard?.remove(self)
    }

    private func finish() {
        if case .closing(let timeout) = self.state {
            timeout?.cancel()
        }
        if case .closed = self.state { return }
        self.state = .closed
        _ = self.unflushed.take()
        self.removeFromShard()
        let label = CloseCode.disconnectLabel(self.closeCode, closeFrameReceived: self.closeFrameReceived)
        self.shard?.countDisconnect(label: label)
        self.edge.counters.openWebSockets.wrappingDecrement(ordering: .relaxed)
        self.edge.userConnections.release(self.user)
        self.logLife("connection closed", self.tally.closedMetadata(label: label, now: self.context?.eventLoop.now ?? .now()))
        self.edge.sink.connectionClosed(self.id, user: self.user, code: self.closeCode, reason: self.closeReason)
    }
}

/// How far the payload of a text frame still arriving was checked as UTF-8. Event-loop bound.
private final class PartialText {
    var validator: UTF8StreamValidator
    /// Payload bytes checked so far.
    var checked = 0

    init(_ validator: UTF8StreamValidator) {
        self.validator = validator
    }
}

/// A `wsbridge.v1` connection's cursor, behind one reference. Event-loop bound like its connection.
private final class CursorBox {
    var cursor: SessionCursor

    init(_ cursor: SessionCursor) {
        self.cursor = cursor
    }
}
