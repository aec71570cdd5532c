/// The members of a `gap` event.
public struct AppGap: Sendable, Equatable {
    /// The registered session it concerns; nil for a gap of the node's own stream (every app is told).
    public var session: String?
    /// The user whose stream it is; nil for the `all` stream.
    public var user: String?
    /// `user` or `all`.
    public var stream: String
    /// `history_lost` or `history_trimmed`.
    public var reason: String
    /// The last position delivered before the gap (`EPOCH-OFFSET`), when known.
    public var after: String?
    /// How many messages are missing, when known (the epoch did not change).
    public var missed: UInt64?
    /// The session's position after the gap (sessions only).
    public var pos: String?

    public init(
        session: String? = nil, user: String?, stream: String, reason: String, after: String? = nil, missed: UInt64? = nil,
        pos: String? = nil
    ) {
        self.session = session
        self.user = user
        self.stream = stream
        self.reason = reason
        self.after = after
        self.missed = missed
        self.pos = pos
    }
}
