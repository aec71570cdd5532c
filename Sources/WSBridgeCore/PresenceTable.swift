/// This node's sessions per user, and what of them the shared presence (Redis) has yet to learn.
///
/// A state machine without I/O: sessions come and go (``add(_:)``, ``remove(_:)``), the reporter asks
/// for the next write (``nextWrite(refresh:)``) and tells how it went (``written(_:wasAlive:)``,
/// ``failed(_:)``). At most one write is in flight; changes made meanwhile wait for the next.
///
/// ```
///  start, link back, write failed,          ──▶ next write replaces the node's entry: every user, counts
///  or Redis had forgotten the node              (Redis may have lost or half-applied what it had)
///  users whose count changed since          ──▶ next write carries their counts (0: the user left)
///  nothing changed, heartbeat due           ──▶ an empty write: it only renews the node's expiry
/// ```
///
/// Counts are sessions: WebSocket connections and sessions apps registered, as the shards hold them.
public struct PresenceTable: Sendable {
    /// Sessions per user on this node; users without sessions are absent.
    public private(set) var sessions: [String: Int] = [:]
    /// Users whose count changed since the last write was taken.
    private var changed: Set<String> = []
    /// Whether the next write must replace everything the shared presence holds for this node.
    private var needsReplace = true
    /// The write taken and not yet answered.
    private var inFlight = false
    /// Whether changes are remembered for writes (false: nothing writes, only counts are kept).
    private let tracksChanges: Bool

    /// What a session's arrival or departure did to its user's presence on this node.
    public enum Transition: Sendable, Equatable {
        /// The user's count changed but stayed above zero.
        case unchanged
        /// The user's first session here.
        case online
        /// The user's last session here left.
        case offline
    }

    public init(tracksChanges: Bool = true) {
        self.tracksChanges = tracksChanges
    }

    /// Whether a write is waiting to be taken (changes made, or a replacement owed).
    public var hasPendingChanges: Bool { self.tracksChanges && (self.needsReplace || !self.changed.isEmpty) }

    /// Counts one more session of `user`.
    public mutating func add(_ user: String) -> Transition {
        let count = self.sessions[user, default: 0] + 1
        self.sessions[user] = count
        if self.tracksChanges { self.changed.insert(user) }
        return count == 1 ? .online : .unchanged
    }

    /// Counts one session of `user` less; a user without sessions is left alone.
    public mutating func remove(_ user: String) -> Transition {
        guard let count = self.sessions[user] else { return .unchanged }
        if self.tracksChanges { self.changed.insert(user) }
        if count <= 1 {
            self.sessions[user] = nil
            return .offline
        }
        self.sessions[user] = count - 1
        return .unchanged
    }

    /// The sessions `user` holds here.
    public func sessions(of user: String) -> Int { self.sessions[user, default: 0] }

    /// The next write, if one should go now: nil while one is in flight, or when nothing changed and
    /// `refresh` (a heartbeat is due) is false.
    public mutating func nextWrite(refresh: Bool) -> PresenceWrite? {
        guard !self.inFlight else { return nil }
        if self.needsReplace {
            self.needsReplace = false
            self.changed.removeAll(keepingCapacity: true)
            self.inFlight = true
            let entries = self.sessions.sorted { $0.key < $1.key }.map { PresenceWrite.Entry(user: $0.key, sessions: $0.value) }
            return PresenceWrite(replace: true, entries: entries)
        }
        guard refresh || !self.changed.isEmpty else { return nil }
        let entries = self.changed.sorted().map { PresenceWrite.Entry(user: $0, sessions: self.sessions[$0, default: 0]) }
        self.changed.removeAll(keepingCapacity: true)
        self.inFlight = true
        return PresenceWrite(replace: false, entries: entries)
    }

    /// The write in flight was applied. `wasAlive` is false when the shared presence had no live entry
    /// for this node before it (it expired, or Redis restarted): then only a replacement makes it whole.
    public mutating func written(_ write: PresenceWrite, wasAlive: Bool) {
        self.inFlight = false
        if !wasAlive && !write.replace {
            self.needsReplace = true
        }
    }

    /// The write in flight failed (or its answer was lost): what landed is unknown, so the next write
    /// replaces.
    public mutating func failed(_ write: PresenceWrite) {
        self.inFlight = false
        self.needsReplace = true
    }

    /// The link to the shared presence came back: it may have lost this node's entry.
    public mutating func linkRestored() {
        self.needsReplace = true
    }
}

/// One write of a node's presence: its users' session counts, either replacing all it had (`replace`)
/// or changing the listed users (a count of 0 removes the user). Empty and not `replace`: a heartbeat.
public struct PresenceWrite: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var user: String
        public var sessions: Int

        public init(user: String, sessions: Int) {
            self.user = user
            self.sessions = sessions
        }
    }

    public var replace: Bool
    public var entries: [Entry]

    public init(replace: Bool, entries: [Entry]) {
        self.replace = replace
        self.entries = entries
    }
}
