import NIOCore

/// A connection in its opening handshake (its request not yet read, or being decided about), which
/// its shard holds until the connection opens or ends, so that a drain reaches it too
/// (``Shard/drain(over:close:)``): a connection that is not a session yet must not open once the
/// node drains, nor be cut off without an answer when the node stops. The shard also keeps its
/// `handshake_timeout` (one timer per shard, ``HandshakeTable``).
public protocol PendingHandshake: AnyObject {
    /// The connection's close future: a drain waits for it.
    var closeFuture: EventLoopFuture<Void>? { get }
    /// The node drains: end the handshake now (answer or close); the connection will not open.
    func drain()
    /// `handshake_timeout` passed since the handshake began (``Shard/handshakeBegan(_:timeout:)``):
    /// answer or close.
    func timedOut()
}
