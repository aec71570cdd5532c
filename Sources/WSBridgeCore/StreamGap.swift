/// Messages of a stream that can no longer be delivered: the history does not reach back far enough, or
/// it was lost with its epoch. Sessions that track positions are told (a `gap` frame or event), and it is
/// counted and logged; delivery goes on after it.
public struct StreamGap: Sendable, Equatable {
    public enum Reason: String, Sendable, CaseIterable {
        /// The stream has a new epoch: Redis lost its history (restart without persistence) or the
        /// stream's position expired. How many messages were lost is not known.
        case historyLost = "history_lost"
        /// Same epoch, but the messages right after the last position are no longer retained
        /// (`history_size` or `history_ttl` passed).
        case historyTrimmed = "history_trimmed"
    }

    public var stream: StreamID
    public var reason: Reason
    /// The last position delivered before the gap, when known.
    public var after: StreamPosition?
    /// Delivery resumes after this position: the next message is the one that follows it.
    public var resumesAfter: StreamPosition

    public init(stream: StreamID, reason: Reason, after: StreamPosition?, resumesAfter: StreamPosition) {
        self.stream = stream
        self.reason = reason
        self.after = after
        self.resumesAfter = resumesAfter
    }

    /// How many messages are missing, when the epoch did not change.
    public var missed: UInt64? {
        guard self.reason == .historyTrimmed, let after, after.epoch == self.resumesAfter.epoch,
            self.resumesAfter.offset > after.offset
        else { return nil }
        return self.resumesAfter.offset - after.offset
    }
}
