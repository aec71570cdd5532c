import NIOConcurrencyHelpers

/// How many WebSocket connections each user holds on this node, for `max_connections_per_user`.
/// One lock, taken once when a connection is upgraded and once when it ends.
final class UserConnectionCounts: Sendable {
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    /// Counts one more connection of `user` unless it already holds `limit` (nil: no limit); false
    /// when refused.
    func reserve(_ user: String, limit: Int?) -> Bool {
        self.counts.withLockedValue { counts in
            let held = counts[user, default: 0]
            if let limit, held >= limit { return false }
            counts[user] = held + 1
            return true
        }
    }

    /// A connection counted by ``reserve(_:limit:)`` ended.
    func release(_ user: String) {
        self.counts.withLockedValue { counts in
            let held = counts[user, default: 0]
            counts[user] = held > 1 ? held - 1 : nil
        }
    }

    /// The connections `user` holds now.
    func held(by user: String) -> Int {
        self.counts.withLockedValue { $0[user, default: 0] }
    }
}
