import NIOConcurrencyHelpers

/// The node's ``PresenceTable`` behind one lock: every shard counts its sessions into it as they come and
/// go, the presence reporter takes writes from it, queries on an embedded broker read it. Thread safe.
///
/// `transition` is told of each user's first and last session on this node, under the lock, so the
/// calls come in the order the counts changed (it must not call back into the ledger). `pending` is
/// told, outside the lock, each time changes start to wait for a write (the reporter schedules one).
public final class PresenceLedger: Sendable {
    private struct State {
        var table: PresenceTable
        /// Whether `pending` was told since the reporter last took a write.
        var woken = false
    }

    private let state: NIOLockedValueBox<State>
    private let transition: @Sendable (String, PresenceTable.Transition) -> Void
    private let pending: @Sendable () -> Void

    /// - Parameter tracksChanges: false when nothing takes writes (the embedded broker): then only
    ///   the counts are kept, not which users changed.
    public init(
        transition: @escaping @Sendable (String, PresenceTable.Transition) -> Void = { _, _ in },
        pending: @escaping @Sendable () -> Void = {},
        tracksChanges: Bool = true
    ) {
        self.transition = transition
        self.pending = pending
        self.state = NIOLockedValueBox(State(table: PresenceTable(tracksChanges: tracksChanges)))
    }

    /// A session of `user` was added to a shard.
    public func sessionAdded(_ user: String) {
        self.update { state in
            let transition = state.table.add(user)
            if transition != .unchanged { self.transition(user, transition) }
        }
    }

    /// A session of `user` left its shard.
    public func sessionRemoved(_ user: String) {
        self.update { state in
            let transition = state.table.remove(user)
            if transition != .unchanged { self.transition(user, transition) }
        }
    }

    /// The sessions each user holds on this node.
    public func sessions(of users: [String]) -> [Int] {
        self.state.withLockedValue { state in users.map { state.table.sessions(of: $0) } }
    }

    /// Users with at least one session here.
    public var userCount: Int { self.state.withLockedValue { $0.table.sessions.count } }

    /// See ``PresenceTable/nextWrite(refresh:)``. Changes made after this call wake `pending` again.
    public func nextWrite(refresh: Bool) -> PresenceWrite? {
        self.state.withLockedValue { state in
            state.woken = false
            return state.table.nextWrite(refresh: refresh)
        }
    }

    public func written(_ write: PresenceWrite, wasAlive: Bool) {
        self.update { $0.table.written(write, wasAlive: wasAlive) }
    }

    public func failed(_ write: PresenceWrite) {
        self.update { $0.table.failed(write) }
    }

    public func linkRestored() {
        self.update { $0.table.linkRestored() }
    }

    /// Applies `body` under the lock; if changes now wait for a write and the reporter was not told
    /// since it last took one, tells it (outside the lock).
    private func update(_ body: (inout State) -> Void) {
        let wake = self.state.withLockedValue { state -> Bool in
            body(&state)
            guard state.table.hasPendingChanges, !state.woken else { return false }
            state.woken = true
            return true
        }
        if wake {
            self.pending()
        }
    }
}
