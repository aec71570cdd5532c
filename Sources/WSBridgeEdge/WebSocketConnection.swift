import Logging
import NIOCore
import NIOWebSocket
import WSBridgeCore
import WSBridgeDeflate
import WSBridgeJSON

/// One upgraded WebSocket connection: a ``Session`` of its user in the shard of its event loop, and the
/// channel handler that speaks RFC 6455 to the client. What each frame means and when the connection
/// closes is decided by its ``WebSocketStateMachine``; this handler reads the socket and performs the
/// machine's actions. It is the one place where protocol errors become close frames.
///
/// Outbound, deliveries are written as pre-encoded frames (no encoder in the pipeline), collected for
/// the shard's flush (``ClientOutbound``). The channel's write-buffer high-water mark is
/// `max_queue_bytes`: when a client falls that far behind, the channel turns unwritable and the
/// connection is closed with 1008 ("slow consumer") without slowing anyone else.
///
/// Inbound, it reads the socket's bytes itself (``ClientFrameParser``): no frame decoder in the pipeline
/// either, so a connection is one handler.
public final class WebSocketConnection: Session, ChannelInboundHandler, ClientConnection, OutboundWriter {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public let id: ConnectionID
    public let path: String
    private let edge: EdgeContext
    private let shared: SharedEdgeSettings
    private var settings: EdgeSettings { self.shared.value }
    private var machine: WebSocketStateMachine
    private(set) var context: ChannelHandlerContext?
    private var shard: Shard?
    var outbound = ClientOutbound()
    /// The LZ77 window of this connection's compressed frames (9 to 15 bits) when it negotiated
    /// permessage-deflate, 0 when not. The zlib streams are the event loop's (``DeflateCodecs``).
    private let deflateWindow: UInt8
    /// What only some connections need, or only for a while; nil until one does (``occasionalState``).
    private var occasional: OccasionalState?

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
        self.path = path
        self.edge = edge
        self.shared = settings
        self.machine = WebSocketStateMachine(
            assembler: MessageAssembler(
                maxMessageBytes: settings.value.maxMessageBytes, maxFragments: settings.value.maxMessageFragments,
                deflate: deflate != nil),
            now: .uptimeNanoseconds(0), messagesPerSecond: nil)
        self.deflateWindow = UInt8(deflate?.serverWindowBits ?? 0)
        if subprotocol || forwardedClient != nil {
            let occasional = OccasionalState()
            occasional.cursor = subprotocol ? SessionCursor(since: since, holdLimit: settings.value.maxQueueBytes) : nil
            occasional.forwardedClient = forwardedClient
            self.occasional = occasional
        }
        super.init(user: user, tracksPositions: subprotocol)
    }

    /// Whether the client speaks the `wsbridge.v1` subprotocol.
    public var speaksSubprotocol: Bool { self.occasional?.cursor != nil }

    /// ``occasional``, made the first time it is needed.
    private var occasionalState: OccasionalState {
        if let occasional = self.occasional { return occasional }
        let occasional = OccasionalState()
        self.occasional = occasional
        return occasional
    }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let now = context.eventLoop.now
        self.machine = WebSocketStateMachine(
            assembler: MessageAssembler(
                maxMessageBytes: self.settings.maxMessageBytes, maxFragments: self.settings.maxMessageFragments,
                deflate: self.deflateWindow != 0),
            now: now, messagesPerSecond: self.settings.maxClientMessagesPerSecond)
        self.outbound.tally.openedAt = now
        let shard = self.edge.router.shard(for: context.eventLoop)
        self.shard = shard
        shard.add(self)
        self.edge.counters.openWebSockets.wrappingIncrement(ordering: .relaxed)
        self.edge.counters.upgrades.wrappingIncrement(ordering: .relaxed)
        if self.deflateWindow != 0 {
            self.edge.counters.deflateUpgrades.wrappingIncrement(ordering: .relaxed)
        }
        self.logLife(
            "connection opened",
            ["wsb.subprotocol": .stringConvertible(self.speaksSubprotocol), "wsb.deflate": .stringConvertible(self.deflateWindow != 0)])
        self.edge.sink.connectionOpened(
            ConnectionHandle(self, id: self.id, user: self.user, path: self.path, appPaths: [self.path], eventLoop: context.eventLoop))
    }

    private func logLife(_ message: Logger.Message, _ extra: @autoclosure () -> Logger.Metadata) {
        self.edge.logLife(
            message, connection: self.id, user: self.user,
            remote: self.occasional?.forwardedClient ?? self.context?.channel.remoteAddress?.hostPort ?? "?", path: self.path,
            extra())
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
        self.context = nil
        self.occasional?.dropUnfinishedFrame()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.outbound.tally.bytesIn += bytes.readableBytes
        guard self.machine.readsFrames else { return }
        // Adopting the read buffer costs no copy; only a remainder is copied out of it (below).
        var inbound: ByteBuffer
        let adopted: Bool
        if var kept = self.occasional?.inbound {
            self.occasional!.inbound = nil  // drop the other reference, so that the append does not copy
            kept.writeBuffer(&bytes)
            inbound = kept
            adopted = false
        } else {
            inbound = bytes
            adopted = true
        }
        let parser = ClientFrameParser(maxFrameSize: self.machine.maxFrameBytes)
        var framesRead = 0
        // Re-checked after every frame: one can close the connection, and then what follows is ignored.
        while self.machine.readsFrames {
            let frame: WebSocketFrame?
            do {
                frame = try parser.nextFrame(from: &inbound)
            } catch {
                self.occasional?.partialText = nil
                self.perform(self.machine.unreadable(error, maxMessageBytes: self.settings.maxMessageBytes), context: context)
                return
            }
            guard let frame else { break }
            self.occasional?.partialText = nil
            let now = context.eventLoop.now
            if framesRead == 0 {
                self.machine.heard(at: now)
            }
            framesRead += 1
            let counters = self.edge.counters
            let action = self.machine.receive(frame, now: now, messagesPerSecond: self.settings.maxClientMessagesPerSecond) {
                counters.inflatedMessages.wrappingIncrement(ordering: .relaxed)
                return DeflateCodecs.current.inflater
            }
            self.perform(action, context: context)
        }
        if self.machine.readsFrames, inbound.readableBytes > 0 {
            self.checkPartialText(inbound, parser: parser, context: context)
        }
        self.keepRemainder(inbound, adopted: adopted, framesRead: framesRead, allocator: context.channel.allocator)
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
        if !context.channel.isWritable, self.machine.isOpen {
            self.edge.noteSlowConsumer(
                shard: self.shard, connection: self.id, user: self.user, pending: self.pendingOutboundBytes,
                limit: self.settings.maxQueueBytes, transport: "websocket")
            self.close(.policyViolation, reason: "slow consumer")
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: The state machine's actions

    private func perform(_ action: WebSocketStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .deliver(let payload, let isBinary):
            self.edge.counters.clientMessages.wrappingIncrement(ordering: .relaxed)
            self.outbound.tally.messagesIn += 1
            self.edge.sink.messageReceived(self.id, user: self.user, payload: payload, isBinary: isBinary)
        case .sendPong(let payload):
            self.writeAndFlush(ServerFrame.encode(.pong, payload: payload, allocator: context.channel.allocator))
        case .sendClose(let code, let reason, let limit, let shutOutput):
            self.sendClose(code, reason: reason, limit: limit, shutOutput: shutOutput, context: context)
        case .echoClose(let code):
            // Echo the client's code (RFC 6455 §5.5.1), then close the TCP connection: the server closes first.
            var payload = context.channel.allocator.buffer(capacity: 2)
            if let code { payload.writeInteger(code.rawValue) }
            self.shard?.remove(self)
            let channel = context.channel
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in
                channel.close(promise: nil)
            }
            self.writeAndFlush(ServerFrame.encode(.close, payload: payload, allocator: context.channel.allocator), promise: written)
        case .closeChannel:
            context.close(promise: nil)
        }
    }

    /// Sends the close frame, stops deliveries, and resets the socket if the client has not answered
    /// within `close_timeout`. With `shutOutput` (the client's bytes can no longer be read, RFC 6455
    /// §7.1.7), the server's side of the TCP connection is shut once the frame is written: the client
    /// reads the frame, then the end of the stream, and need not answer with a close frame that could
    /// not be found among its bytes anyway.
    private func sendClose(_ code: CloseCode, reason: String, limit: LimitKind?, shutOutput: Bool, context: ChannelHandlerContext) {
        if let limit {
            self.shard?.countLimitHit(limit)
        }
        if shutOutput {
            self.occasional?.dropUnfinishedFrame()
        }
        // Before the write: a write that fails closes the channel (and finishes the connection) before
        // writeAndFlush returns.
        self.shard?.remove(self)
        var written: EventLoopPromise<Void>?
        if shutOutput {
            let channel = context.channel
            written = context.eventLoop.makePromise(of: Void.self)
            written!.futureResult.whenSuccess {
                channel.close(mode: .output, promise: nil)
            }
        }
        self.writeAndFlush(ServerFrame.close(code, reason: reason, allocator: context.channel.allocator), promise: written)
        guard self.machine.state == .closing else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.occasionalState.closeTimer = context.eventLoop.scheduleTask(in: self.settings.closeTimeout) {
            loopBound.value.context?.reset()
        }
    }

    // MARK: Session

    /// Collects the frame for the shard's flush.
    public override func deliver(_ delivery: Delivery) {
        guard self.machine.isOpen else { return }
        self.outbound.tally.messagesOut += 1
        self.collect(self.frame(for: delivery), limit: self.settings.maxQueueBytes)
    }

    /// A delivery for a `wsbridge.v1` client: its own frame, with the client's position after it.
    public override func deliver(_ delivery: Delivery, stream: SessionStream, position: StreamPosition?) {
        guard self.machine.isOpen, let context = self.context, let occasional = self.occasional, occasional.cursor != nil else {
            return
        }
        switch occasional.cursor!.admit(delivery, stream: stream, at: position) {
        case .deliver(let after):
            self.outbound.tally.messagesOut += 1
            let frame = PositionedFrames.subprotocol.message(delivery, position: after, allocator: context.channel.allocator)
            self.collect(self.compressed(frame), limit: self.settings.maxQueueBytes)
        case .skip, .held:
            break
        case .overflowed:
            // The client comes back with its last position and gets it all from the history.
            self.close(.policyViolation, reason: "too much arrived while recovering")
        }
    }

    public override var recoverySince: SessionPosition? { self.occasional?.cursor?.since }

    public override func gap(_ gap: StreamGap, stream: SessionStream) {
        guard self.machine.isOpen, let context = self.context, let occasional = self.occasional, occasional.cursor != nil else {
            return
        }
        if case .gap(let gap, let position) = occasional.cursor!.gap(gap, stream: stream) {
            let frame = PositionedFrames.subprotocol.gap(gap, stream: stream, position: position, allocator: context.channel.allocator)
            self.collect(frame, limit: self.settings.maxQueueBytes)
        }
    }

    /// Writes what the client missed (gaps first), what arrived meanwhile, then `ready`, and flushes.
    public override func recovered(_ recovery: SessionRecovery) {
        guard self.machine.isOpen, let context = self.context, let occasional = self.occasional, occasional.cursor != nil else {
            return
        }
        for frame in PositionedFrames.subprotocol.recovery(recovery, cursor: &occasional.cursor!, allocator: context.channel.allocator) {
            if frame.isMessage { self.outbound.tally.messagesOut += 1 }
            self.collect(frame.isMessage ? self.compressed(frame.bytes) : frame.bytes, limit: self.settings.maxQueueBytes)
            guard self.machine.isOpen else { return }
        }
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

    public override func flush() {
        self.flushCollected()
    }

    public override func deliverAndFlush(_ delivery: Delivery) {
        guard self.machine.isOpen else { return }
        self.outbound.tally.messagesOut += 1
        self.writeAndFlush(self.frame(for: delivery))
    }

    public override var pendingOutboundBytes: Int {
        self.pendingBytes
    }

    /// Bytes collected for the next flush (for tests).
    var unflushedBytes: Int { self.outbound.collectedBytes }

    /// Sends one message to this client (an app's `send`), flushed at once, with whatever deliveries
    /// wait for the shard's write-coalescing window (they were written first, so order is kept).
    public func send(_ payload: ByteBuffer, isBinary: Bool) {
        guard self.machine.isOpen, let context = self.context else { return }
        let allocator = context.channel.allocator
        let frame =
            self.speaksSubprotocol
            ? SubprotocolFrame.sent(payload, isBinary: isBinary, allocator: allocator)
            : ServerFrame.encode(isBinary ? .binary : .text, payload: payload, allocator: allocator)
        self.outbound.tally.messagesOut += 1
        self.writeAndFlush(self.compressed(frame))
        self.shard?.countDirectDelivery(from: .app)
    }

    public override func heartbeat(now: NIODeadline) {
        guard let context = self.context else { return }
        switch self.machine.heartbeat(now: now, pingInterval: self.settings.pingInterval, idleTimeout: self.settings.idleTimeout) {
        case .none:
            break
        case .sendPing:
            self.writeAndFlush(ServerFrame.encode(.ping, payload: ByteBuffer(), allocator: context.channel.allocator))
        case .close(let action):
            self.perform(action, context: context)
        }
    }

    /// The node is shutting down: close with 1001, so the client reconnects elsewhere.
    public override func drain() {
        self.close(.goingAway, reason: "server shutting down")
    }

    // MARK: Frames still arriving

    /// Fails fast on invalid UTF-8 inside a text frame that has not all arrived (RFC 6455 §8.1; the
    /// Autobahn cases 6.4.3 and 6.4.4 send one in pieces): the bytes that came so far are unmasked and
    /// checked, each once, continuing the validator of the message. The assembler checks the whole
    /// frame again when it is complete; this only makes the verdict come sooner.
    private func checkPartialText(_ buffer: ByteBuffer, parser: ClientFrameParser, context: ChannelHandlerContext) {
        guard let header = try? parser.header(in: buffer), let key = header.maskKey else {
            return
        }
        if self.occasional?.partialText == nil {
            guard let validator = self.machine.textValidator(for: header) else { return }
            self.occasionalState.partialText = PartialText(validator)
        }
        let check = self.occasional!.partialText!
        let arrived = min(buffer.writerIndex - header.payloadStart, header.payloadLength)
        let offset = check.checked
        guard arrived > offset, let fresh = buffer.viewBytes(at: header.payloadStart + offset, length: arrived - offset)
        else { return }
        check.checked = arrived
        // Unmasked as they are fed: no copy of the bytes.
        let valid = check.validator.feed(fresh.enumerated().lazy.map { $0.element ^ key[(offset + $0.offset) % 4] })
        if !valid {
            self.perform(self.machine.invalidText(), context: context)
        }
    }

    /// After the frames of a read are taken: nothing is kept when all bytes were used (the common case:
    /// clients send whole frames). An unfinished frame is copied into a buffer of its own when it sits in
    /// the socket's read buffer (which NIO reuses for the next read only if no one else holds it) or
    /// behind frames already taken (which would otherwise stay allocated as long as it waits).
    private func keepRemainder(_ remainder: ByteBuffer, adopted: Bool, framesRead: Int, allocator: ByteBufferAllocator) {
        guard remainder.readableBytes > 0, self.machine.readsFrames else { return }
        if adopted || framesRead > 0 {
            var own = allocator.buffer(capacity: remainder.readableBytes)
            own.writeImmutableBuffer(remainder)
            self.occasionalState.inbound = own
        } else {
            self.occasionalState.inbound = remainder
        }
    }

    /// The capacity of the storage behind the bytes kept for an unfinished frame; nil when none is kept.
    var inboundStorageCapacity: Int? {
        self.occasional?.inbound?.storageCapacity
    }

    // MARK: Closing

    /// Starts the close handshake: sends a close frame, stops deliveries, and closes the socket when the
    /// client answers or after `close_timeout`.
    public func close(_ code: CloseCode, reason: String) {
        guard let context = self.context else { return }
        self.perform(self.machine.close(code, reason: reason), context: context)
    }

    private func finish() {
        self.occasional?.closeTimer?.cancel()
        self.occasional?.closeTimer = nil
        guard let ending = self.machine.closed() else { return }
        _ = self.outbound.take()
        self.shard?.remove(self)
        self.shard?.countDisconnect(label: ending.label)
        self.edge.counters.openWebSockets.wrappingDecrement(ordering: .relaxed)
        self.edge.userConnections.release(self.user)
        self.logLife("connection closed", self.outbound.tally.closedMetadata(label: ending.label, now: self.context?.eventLoop.now ?? .now()))
        self.edge.sink.connectionClosed(self.id, user: self.user, code: ending.code, reason: ending.reason)
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

/// The state of a ``WebSocketConnection`` that only some connections have, or have only for a while,
/// behind one reference that the others do without: 80 bytes of fields for a pointer, in every one of
/// tens of thousands of connections, most of them idle and with none of it. Made with the connection
/// when it speaks the subprotocol or came through a trusted proxy, else the first time a frame arrives
/// in pieces or the connection closes, and kept from then on. Event-loop bound like its connection.
private final class OccasionalState {
    /// With the `wsbridge.v1` subprotocol: the client's positions; every frame is JSON (`SubprotocolFrame`).
    var cursor: SessionCursor?
    /// The client's address from a trusted proxy's `X-Forwarded-For`, for the log lines.
    var forwardedClient: String?
    /// Resets a connection whose client did not finish the close handshake in time.
    var closeTimer: Scheduled<Void>?
    /// The bytes of a frame not all read yet; nil between frames, so an idle connection holds no buffer.
    var inbound: ByteBuffer?
    /// The UTF-8 check of a text frame not all read yet (``WebSocketConnection/checkPartialText``); nil otherwise.
    var partialText: PartialText?

    /// Forgets a frame not all read yet: the client's bytes are no longer read.
    func dropUnfinishedFrame() {
        self.inbound = nil
        self.partialText = nil
    }
}
