/// The receipts this host's publishes wait for: who is expected to report, what was reported, and the
/// summary once the last expected host reported or the window ended. A state machine without I/O or
/// clocks: the caller opens an entry before it publishes, feeds it reports, and closes it when its
/// window ends.
///
/// ```
///  open(id, users, holders, expected)      expected: the hosts that held an addressed user (this one too)
///  report(from an expected host)           ──▶ summary, once every expected host reported
///  report(from another host)               ──▶ counted (it reached someone), completes nothing
///  close(id)  (the window ended)           ──▶ summary; expected hosts still silent count as unknown
///  a report after the summary              ──▶ ignored
/// ```
///
/// A user is `offline` when no report reached it and every host that held it (by presence) reported:
/// with a holder silent, the user is neither reached nor known to be offline.
public struct ReceiptBook: Sendable {
    /// What one publish reached.
    public struct Summary: Sendable, Equatable {
        public struct User: Sendable, Equatable {
            public var user: String
            public var sessions: Int
            public var hosts: Int

            public init(user: String, sessions: Int, hosts: Int) {
                self.user = user
                self.sessions = sessions
                self.hosts = hosts
            }
        }

        public var sessions: Int
        public var hosts: Int
        /// Expected hosts that did not report.
        public var unknownHosts: Int
        /// Per addressed user, in the order published (empty for `all`).
        public var users: [User]
        public var offline: [String]

        public init(sessions: Int, hosts: Int, unknownHosts: Int, users: [User], offline: [String]) {
            self.sessions = sessions
            self.hosts = hosts
            self.unknownHosts = unknownHosts
            self.users = users
            self.offline = offline
        }
    }

    private struct Entry {
        /// The addressed users in order; nil for `all`.
        var users: [String]?
        var holders: [String: Set<String>]
        var expected: Set<String>
        var reported: Set<String> = []
        var total = 0
        var hostsReached: Set<String> = []
        var sessions: [String: Int] = [:]
        var userHosts: [String: Int] = [:]
    }

    private var entries: [UInt64: Entry] = [:]

    public init() {}

    /// Receipts waiting.
    public var count: Int { self.entries.count }

    /// Starts waiting for the reports of `id`. `holders`: per addressed user, the hosts that held it;
    /// `expected`: the hosts that must report before the receipt is complete.
    public mutating func open(_ id: UInt64, users: [String]?, holders: [String: Set<String>], expected: Set<String>) {
        self.entries[id] = Entry(users: users, holders: holders, expected: expected)
    }

    /// Counts one host's report; returns the summary when it was the last expected one.
    public mutating func report(_ report: ReceiptReport) -> Summary? {
        guard var entry = self.entries[report.id], !entry.reported.contains(report.node) else { return nil }
        entry.reported.insert(report.node)
        entry.total += report.total
        if report.total > 0 {
            entry.hostsReached.insert(report.node)
        }
        for (user, sessions) in report.users where sessions > 0 {
            entry.sessions[user, default: 0] += sessions
            entry.userHosts[user, default: 0] += 1
        }
        guard entry.expected.isSubset(of: entry.reported) else {
            self.entries[report.id] = entry
            return nil
        }
        self.entries[report.id] = nil
        return Self.summary(entry)
    }

    /// The window of `id` ended: its summary, or nil when it already completed (or never opened).
    public mutating func close(_ id: UInt64) -> Summary? {
        guard let entry = self.entries.removeValue(forKey: id) else { return nil }
        return Self.summary(entry)
    }

    /// Forgets `id` (its publish failed).
    public mutating func cancel(_ id: UInt64) {
        self.entries[id] = nil
    }

    private static func summary(_ entry: Entry) -> Summary {
        let users = (entry.users ?? []).map { user in
            Summary.User(user: user, sessions: entry.sessions[user, default: 0], hosts: entry.userHosts[user, default: 0])
        }
        let offline = users.filter { user in
            user.sessions == 0 && entry.holders[user.user, default: []].isSubset(of: entry.reported)
        }.map(\.user)
        return Summary(
            sessions: entry.total, hosts: entry.hostsReached.count,
            unknownHosts: entry.expected.subtracting(entry.reported).count, users: users, offline: offline)
    }
}
