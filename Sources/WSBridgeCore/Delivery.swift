import NIOCore

/// Where a message entered wsbridge; deliveries are counted by source.
public enum DeliverySource: String, Sendable, CaseIterable {
    /// From the Redis channel (whoever published it: another host, an app, a cron job).
    case redis
    /// From the embedded broker.
    case embedded
    /// From an app straight to one of its connections (`send`), without the broker.
    case app
}

/// One message on its way to the local sessions: parsed once, its server frame encoded once.
///
/// Every recipient on every event loop is written the same `frame` bytes (a `ByteBuffer` shares its
/// storage, so handing it to many channels copies nothing).
public struct Delivery: Sendable {
    public var target: DeliveryTarget
    /// What each recipient receives as the message body (text or binary).
    public var payload: ByteBuffer
    public var isBinary: Bool
    /// The payload as one encoded WebSocket frame, ready to write.
    public var frame: ByteBuffer
    public var source: DeliverySource
    /// When the message arrived at wsbridge (for latency measurement).
    public var arrivedAt: NIODeadline

    public init(envelope: Envelope, source: DeliverySource, arrivedAt: NIODeadline, allocator: ByteBufferAllocator) {
        self.target = envelope.target
        self.payload = envelope.payload
        self.isBinary = envelope.isBinary
        self.frame = ServerFrame.encode(envelope.isBinary ? .binary : .text, payload: envelope.payload, allocator: allocator)
        self.source = source
        self.arrivedAt = arrivedAt
    }
}
