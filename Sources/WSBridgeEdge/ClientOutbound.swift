import NIOCore

/// What a client connection writes (a WebSocket's frames, an event stream's events): collected for the
/// shard's flush and written as one buffer, and counted for the connection's closing log line. Owned by
/// its connection, on its event loop. No I/O: ``OutboundWriter`` writes.
///
/// Collected bytes count toward `max_queue_bytes` only once written: past the limit they are due at
/// once (without a flush), so the channel's high-water mark sees them and a slow consumer is closed as
/// usual.
struct ClientOutbound {
    private var unflushed = OutboundBatch()
    /// What went through the connection.
    var tally = ConnectionTally()

    /// Bytes collected for the next flush.
    var collectedBytes: Int { self.unflushed.count }

    /// Appends one frame for the next flush; returns what is due for writing now (past `limit`).
    mutating func collect(_ frame: ByteBuffer, allocator: ByteBufferAllocator, limit: Int) -> ByteBuffer? {
        self.tally.bytesOut += frame.readableBytes
        self.unflushed.append(frame, allocator: allocator)
        return self.unflushed.count >= limit ? self.unflushed.take() : nil
    }

    /// Everything collected, to write now; nil when nothing was.
    mutating func take() -> ByteBuffer? {
        self.unflushed.take()
    }
}

/// A connection that writes through a ``ClientOutbound``. The writes happen here, outside any access to
/// the outbound (a write may call back into the connection: a slow consumer's writability change).
protocol OutboundWriter: AnyObject {
    var outbound: ClientOutbound { get set }
    var context: ChannelHandlerContext? { get }
}

extension OutboundWriter {
    /// Collects one frame for the shard's flush.
    func collect(_ frame: ByteBuffer, limit: Int) {
        guard let context = self.context else { return }
        if let due = self.outbound.collect(frame, allocator: context.channel.allocator, limit: limit) {
            context.write(NIOAny(due), promise: nil)
        }
    }

    /// Writes and flushes what was collected; just flushes when nothing was. Returns whether anything
    /// was written.
    @discardableResult
    func flushCollected() -> Bool {
        guard let context = self.context else { return false }
        guard let frames = self.outbound.take() else {
            context.flush()
            return false
        }
        context.writeAndFlush(NIOAny(frames), promise: nil)
        return true
    }

    /// Writes `frame` after what was collected and flushes both (the order is kept). No promise unless
    /// asked for: a promise is an allocation, and this is the path of every lone delivery.
    func writeAndFlush(_ frame: ByteBuffer, promise: EventLoopPromise<Void>? = nil) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        self.outbound.tally.bytesOut += frame.readableBytes
        if let frames = self.outbound.take() {
            context.write(NIOAny(frames), promise: nil)
        }
        context.writeAndFlush(NIOAny(frame), promise: promise)
    }

    /// The bytes in the channel's outbound buffer (written, not yet taken by the kernel) and those
    /// collected for the next flush.
    var pendingBytes: Int {
        guard let channel = self.context?.channel else { return 0 }
        let buffered = (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        return buffered + self.outbound.collectedBytes
    }
}
