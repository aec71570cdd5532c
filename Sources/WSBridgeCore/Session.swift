import NIOCore

/// A local recipient of deliveries for one user: a WebSocket connection, or a session an app registered.
///
/// Sessions are confined to the event loop of the ``Shard`` that holds them; every method is called on
/// that loop. Subclasses write in ``deliver(_:)`` and flush in ``flush()``; the shard calls `flush()` once
/// per batch for every session it wrote to, or, with a write-coalescing window, once when the window
/// ends. A removed session is not flushed by the shard: whoever removes it flushes or closes it.
open class Session {
    /// The user this session belongs to.
    public let user: String

    /// Position in the shard's session list; maintained by the shard.
    var slot: Int = -1
    /// Whether the session has been written to since the shard's last flush and awaits the next.
    var awaitsFlush = false

    public init(user: String) {
        self.user = user
    }

    /// Writes one delivery without flushing.
    open func deliver(_ delivery: Delivery) {}

    /// Flushes what `deliver` wrote.
    open func flush() {}

    /// Writes one delivery and flushes it with whatever waited: the shard's path for a lone message,
    /// one pass where `deliver` then `flush` take two. A session that left its shard while written
    /// to is not flushed (whoever removed it flushes or closes it).
    open func deliverAndFlush(_ delivery: Delivery) {
        self.deliver(delivery)
        if self.isRegistered {
            self.flush()
        }
    }

    /// Called periodically by the shard with the current time: pings, idle timeouts.
    open func heartbeat(now: NIODeadline) {}

    /// Bytes written to this session but not yet taken by the kernel (a WebSocket connection's
    /// outbound buffer); 0 for sessions without one. Read by the shard at each heartbeat.
    open var pendingOutboundBytes: Int { 0 }

    /// Whether the shard currently holds this session.
    public var isRegistered: Bool { self.slot >= 0 }
}
