import NIOCore

/// Where shards report to the node's stream tracker (``StreamTrackerDriver``). Each closure is called on
/// the shard's event loop and must hop to the tracker's.
public struct ShardStreamEvents: Sendable {
    /// The shard got its first session of a user.
    public var userAppeared: @Sendable (String) -> Void
    /// The shard lost its last session of a user.
    public var userLeft: @Sendable (String) -> Void
    /// A session that tracks positions was added and waits for its recovery.
    public var recover: @Sendable (SessionRecoveryRequest) -> Void
    /// A session left before its recovery came.
    public var abandon: @Sendable (UInt64) -> Void

    public init(
        userAppeared: @escaping @Sendable (String) -> Void, userLeft: @escaping @Sendable (String) -> Void,
        recover: @escaping @Sendable (SessionRecoveryRequest) -> Void, abandon: @escaping @Sendable (UInt64) -> Void
    ) {
        self.userAppeared = userAppeared
        self.userLeft = userLeft
        self.recover = recover
        self.abandon = abandon
    }
}

/// A session waiting for its recovery: what it asks for, and how to reach it on its shard's loop.
public struct SessionRecoveryRequest: Sendable {
    public var ticket: UInt64
    public var user: String
    public var since: SessionPosition?
    public var session: NIOLoopBound<Session>

    public init(ticket: UInt64, user: String, since: SessionPosition?, session: NIOLoopBound<Session>) {
        self.ticket = ticket
        self.user = user
        self.since = since
        self.session = session
    }
}
