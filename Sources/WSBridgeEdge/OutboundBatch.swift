import NIOCore

/// The frames a connection collected since its last flush, as one buffer: one write for the kernel
/// however many messages fall due together (a batch from the broker, or a write-coalescing window).
///
/// A lone frame is kept as it is: a broadcast's frame is shared by every recipient, and a connection
/// that gets one message per flush (the common case) copies nothing. The second frame starts a buffer
/// of the connection's own, with room for a few more.
struct OutboundBatch {
    private var bytes: ByteBuffer?
    /// Whether ``bytes`` is still the first frame itself (shared with other recipients).
    private var isShared = false

    /// Bytes collected.
    var count: Int { self.bytes?.readableBytes ?? 0 }

    /// Appends `frame`.
    mutating func append(_ frame: ByteBuffer, allocator: ByteBufferAllocator) {
        if self.bytes == nil {
            self.bytes = frame  // shares the frame's storage: no copy for a lone message
            self.isShared = true
        } else if self.isShared {
            let first = self.bytes!
            var own = allocator.buffer(capacity: 4 * (first.readableBytes + frame.readableBytes))
            own.writeImmutableBuffer(first)
            own.writeImmutableBuffer(frame)
            self.bytes = own
            self.isShared = false
        } else {
            self.bytes!.writeImmutableBuffer(frame)
        }
    }

    /// Everything collected, to write now; the batch is empty afterwards. Nil when it was empty.
    mutating func take() -> ByteBuffer? {
        defer { self.bytes = nil }
        return self.bytes
    }
}
