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
    /// Whether the session tracks positions (a `wsbridge.v1` client, an app session): the shard then
    /// asks the node's stream tracker for its recovery when it is added, calls
    /// ``deliver(_:stream:position:)`` instead of ``deliver(_:)``, and passes gaps on.
    public let tracksPositions: Bool
    /// The recovery this session waits for (0: none); maintained by the shard.
    var recoveryTicket: UInt64 = 0

    /// Position in the shard's session list; maintained by the shard.
    var slot: Int = -1
    /// Whether the session has been written to since the shard's last flush and awaits the next.
    var awaitsFlush = false

    public init(user: String, tracksPositions: Bool = false) {
        self.user = user
        self.tracksPositions = tracksPositions
    }

    /// Writes one delivery without flushing.
    open func deliver(_ delivery: Delivery) {}

    /// Where a session that tracks positions starts: the position it asks to resume after (nil: now).
    open var recoverySince: SessionPosition? { nil }

    /// Writes one delivery to a session that tracks positions, without flushing: `position` is the
    /// message's position in the session's `stream` (nil for a best-effort message).
    open func deliver(_ delivery: Delivery, stream: SessionStream, position: StreamPosition?) {
        self.deliver(delivery)
    }

    /// The node found messages of the session's `stream` gone (positions-tracking sessions only). The
    /// shard flushes afterwards.
    open func gap(_ gap: StreamGap, stream: SessionStream) {}

    /// What the session missed before it started, from the history; it writes and flushes it itself.
    open func recovered(_ recovery: SessionRecovery) {}

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

    /// The node is shutting down: end the session the way its client understands (a WebSocket closes
    /// with 1001, an event stream gets a `close` event), so that it reconnects elsewhere. Sessions of
    /// apps are left alone: their apps are told `shutdown` and detach themselves.
    open func drain() {}

    /// Bytes written to this session but not yet taken by the kernel (a WebSocket connection's
    /// outbound buffer); 0 for sessions without one. Read by the shard at each heartbeat.
    open var pendingOutboundBytes: Int { 0 }

    /// Hands the session its recovery, if it is still held and waits for that one.
    func takeRecovery(_ ticket: UInt64, _ recovery: SessionRecovery) {
        guard self.isRegistered, self.recoveryTicket == ticket else { return }
        self.recoveryTicket = 0
        self.recovered(recovery)
    }

    /// Whether the shard currently holds this session.
    public var isRegistered: Bool { self.slot >= 0 }
}
