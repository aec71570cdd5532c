import Logging
import NIOCore
import WSBridgeCore

/// One server-sent-events stream (`GET sse_path`, `Accept: text/event-stream`): the fallback for
/// clients that cannot open a WebSocket. A ``Session`` of its user like a WebSocket connection, but
/// one-way: the client only reads, what it sends after the request is dropped.
///
/// It always tracks positions, as a `wsbridge.v1` client does: every durable message carries the
/// session's position as its `id:`, and a client that reconnects with `Last-Event-ID` (a browser's
/// `EventSource` does it by itself) or `?since=` first gets what it missed, then `ready`
/// (``EventStreamFrame``). Outbound it works as ``WebSocketConnection``: events collected and written
/// with one flush, `max_queue_bytes` as the channel's high-water mark (past it the stream is closed as
/// a slow consumer), a keep-alive comment when nothing was written for `ping_interval`.
public final class EventStreamConnection: Session, ChannelInboundHandler, ClientConnection, OutboundWriter {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        case open
        /// The `close` event is being written; the socket closes once it is, or after `close_timeout`.
        case closing
        case closed
    }

    public let id: ConnectionID
    public let path: String
    private let edge: EdgeContext
    private let shared: SharedEdgeSettings
    private var settings: EdgeSettings { self.shared.value }
    private var state = State.open
    private(set) var context: ChannelHandlerContext?
    private var shard: Shard?
    private var cursor: SessionCursor
    /// When bytes were last written (keep-alive comments are due `ping_interval` after it).
    private var lastWrite = NIODeadline.uptimeNanoseconds(0)
    var outbound = ClientOutbound()
    /// Resets a stream whose client did not take its `close` event in time.
    private var closeTimer: Scheduled<Void>?
    private var closeCode: CloseCode?
    private var closeReason = ""
    private let forwardedClient: String?

    /// - Parameter since: where the client asked to resume (`Last-Event-ID` or `?since=`); nil for now.
    init(
        id: ConnectionID, user: String, path: String, edge: EdgeContext, settings: SharedEdgeSettings,
        since: SessionPosition?, forwardedClient: String? = nil
    ) {
        self.id = id
        self.path = path
        self.edge = edge
        self.shared = settings
        self.cursor = SessionCursor(since: since, holdLimit: settings.value.maxQueueBytes)
        self.forwardedClient = forwardedClient
        super.init(user: user, tracksPositions: true)
    }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.lastWrite = context.eventLoop.now
        self.outbound.tally.openedAt = self.lastWrite
        let shard = self.edge.router.shard(for: context.eventLoop)
        self.shard = shard
        shard.add(self)
        self.edge.counters.openEventStreams.wrappingIncrement(ordering: .relaxed)
        self.edge.counters.eventStreamConnects.wrappingIncrement(ordering: .relaxed)
        self.logLife("connection opened", ["wsb.transport": "sse"])
        var appPaths = [self.path]
        if self.path != self.settings.path {
            appPaths.append(self.settings.path)
        }
        self.edge.sink.connectionOpened(
            ConnectionHandle(self, id: self.id, user: self.user, path: self.path, appPaths: appPaths, eventLoop: context.eventLoop))
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
        self.context = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    /// The client has nothing to say on an event stream: whatever it sends is counted and dropped.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.outbound.tally.bytesIn += self.unwrapInboundIn(data).readableBytes
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.edge.logger.debug("event stream error", metadata: ["wsb.conn": "\(self.id)", "wsb.error": "\(error)"])
        context.close(promise: nil)
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if !context.channel.isWritable, case .open = self.state {
            self.edge.noteSlowConsumer(
                shard: self.shard, connection: self.id, user: self.user, pending: self.pendingOutboundBytes,
                limit: self.settings.maxQueueBytes, transport: "sse")
            self.close(.policyViolation, reason: "slow consumer")
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Session

    public override var recoverySince: SessionPosition? { self.cursor.since }

    public override func deliver(_ delivery: Delivery) {
        self.deliver(delivery, stream: delivery.target == .all ? .all : .user, position: nil)
    }

    public override func deliver(_ delivery: Delivery, stream: SessionStream, position: StreamPosition?) {
        guard case .open = self.state, let context = self.context else { return }
        switch self.cursor.admit(delivery, stream: stream, at: position) {
        case .deliver(let after):
            self.outbound.tally.messagesOut += 1
            self.collect(PositionedFrames.eventStream.message(delivery, position: after, allocator: context.channel.allocator))
        case .skip, .held:
            break
        case .overflowed:
            // The client comes back with its last id and gets it all from the history.
            self.close(.policyViolation, reason: "too much arrived while recovering")
        }
    }

    public override func gap(_ gap: StreamGap, stream: SessionStream) {
        guard case .open = self.state, let context = self.context else { return }
        if case .gap(let gap, let position) = self.cursor.gap(gap, stream: stream) {
            self.collect(PositionedFrames.eventStream.gap(gap, stream: stream, position: position, allocator: context.channel.allocator))
        }
    }

    /// Writes what the client missed (gaps first), what arrived meanwhile, then `ready`, and flushes.
    public override func recovered(_ recovery: SessionRecovery) {
        guard case .open = self.state, let context = self.context else { return }
        for frame in PositionedFrames.eventStream.recovery(recovery, cursor: &self.cursor, allocator: context.channel.allocator) {
            if frame.isMessage { self.outbound.tally.messagesOut += 1 }
            self.collect(frame.bytes)
            guard case .open = self.state else { return }
        }
        self.flush()
    }

    public override func flush() {
        if self.flushCollected(), let context = self.context {
            self.lastWrite = context.eventLoop.now
        }
    }

    public override var pendingOutboundBytes: Int {
        self.pendingBytes
    }

    /// A keep-alive comment when nothing was written for `ping_interval`. There is no idle timeout: the
    /// client never speaks; a dead one is found when writing to it fails.
    public override func heartbeat(now: NIODeadline) {
        guard case .open = self.state, let interval = self.settings.pingInterval, now - self.lastWrite >= interval,
            let context = self.context
        else { return }
        self.send(EventStreamFrame.keepAlive(allocator: context.channel.allocator))
    }

    /// The node is shutting down: a `close` event with 1001, so the client reconnects elsewhere.
    public override func drain() {
        self.close(.goingAway, reason: "server shutting down")
    }

    // MARK: Apps

    /// An app's `send`: one event without an id (it is not in any stream), flushed at once after what
    /// waits for the shard's write-coalescing window.
    public func send(_ payload: ByteBuffer, isBinary: Bool) {
        guard case .open = self.state, let context = self.context else { return }
        self.outbound.tally.messagesOut += 1
        self.send(EventStreamFrame.dataLines(payload, isBinary: isBinary, allocator: context.channel.allocator))
        self.shard?.countDirectDelivery(from: .app)
    }

    /// Ends the stream: a `close` event with `code` and `reason`, then the socket closes once it is
    /// written (or after `close_timeout`, for a client that does not read).
    public func close(_ code: CloseCode, reason: String) {
        guard case .open = self.state, let context = self.context else { return }
        self.closeCode = code
        self.closeReason = reason
        // Before the write: it may complete, and the channel close, before writeAndFlush returns.
        self.state = .closing
        self.shard?.remove(self)
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in
            channel.close(promise: nil)
        }
        self.send(EventStreamFrame.close(code, reason: reason, allocator: channel.allocator), promise: written)
        guard case .closing = self.state else { return }
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.closeTimer = context.eventLoop.scheduleTask(in: self.settings.closeTimeout) {
            loopBound.value.context?.reset()
        }
    }

    // MARK: Writing

    /// Appends one event for the shard's flush.
    private func collect(_ event: ByteBuffer) {
        self.collect(event, limit: self.settings.maxQueueBytes)
    }

    /// Writes `event` after the collected ones and flushes both; a keep-alive is due `ping_interval`
    /// after it.
    private func send(_ event: ByteBuffer, promise: EventLoopPromise<Void>? = nil) {
        if let context = self.context {
            self.lastWrite = context.eventLoop.now
        }
        self.writeAndFlush(event, promise: promise)
    }

    private func finish() {
        self.closeTimer?.cancel()
        self.closeTimer = nil
        if case .closed = self.state { return }
        self.state = .closed
        _ = self.outbound.take()
        self.shard?.remove(self)
        let label = CloseCode.disconnectLabel(self.closeCode, closeFrameReceived: false)
        self.shard?.countDisconnect(label: label)
        self.edge.counters.openEventStreams.wrappingDecrement(ordering: .relaxed)
        self.edge.userConnections.release(self.user)
        self.logLife("connection closed", self.outbound.tally.closedMetadata(label: label, now: self.context?.eventLoop.now ?? .now()))
        self.edge.sink.connectionClosed(self.id, user: self.user, code: self.closeCode, reason: self.closeReason)
    }

    private func logLife(_ message: Logger.Message, _ extra: @autoclosure () -> Logger.Metadata) {
        self.edge.logLife(
            message, connection: self.id, user: self.user,
            remote: self.forwardedClient ?? self.context?.channel.remoteAddress?.hostPort ?? "?", path: self.path, extra())
    }
}
