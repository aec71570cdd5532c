import NIOConcurrencyHelpers
import NIOCore
import WSBridgeCore

/// Every attached app and what ties WebSocket connections to them: which apps serve which path (shared
/// round-robin), which connects an app has been asked to decide, which app each connection is pinned to,
/// and the handles apps use to `send` and `close`. Thread safe; every operation is one short lock.
final class AppDirectory: Sendable {
    enum Pending {
        case awaiting(app: UInt64, promise: EventLoopPromise<HandshakeDecision>)
        /// The app accepted; the pin is made when the connection opens, which completes `opened` (it
        /// fails if the handshake ends without an upgrade).
        case accepted(app: UInt64, opened: EventLoopPromise<Void>)
    }

    struct OpenedTooLate: Error {}

    enum Resolution {
        case resolved(EventLoopPromise<HandshakeDecision>)
        /// The connection exists but no decision is expected from this app.
        case notPending
        case unknown
    }

    private struct State {
        var apps: [UInt64: AppHandle] = [:]
        var byPath: [String: [UInt64]] = [:]
        var turn: [String: Int] = [:]
        var pending: [ConnectionID: Pending] = [:]
        var pins: [ConnectionID: UInt64] = [:]
        /// The handles of connections pinned to an app (kept until they close: those of an app that
        /// left are being closed): an app acts only on its own connections.
        var connections: [ConnectionID: ConnectionHandle] = [:]
        /// Open connections no app serves (none did when they opened; an app attached later does not
        /// take them): their ids alone, not a handle of about 100 bytes each that nothing would use.
        var unpinned: Set<ConnectionID> = []
        var nextAppID: UInt64 = 1
    }

    private let state = NIOLockedValueBox(State())

    func makeAppID() -> UInt64 {
        self.state.withLockedValue { state in
            defer { state.nextAppID += 1 }
            return state.nextAppID
        }
    }

    func attach(_ app: AppHandle) {
        self.state.withLockedValue { state in
            state.apps[app.id] = app
            for path in app.paths {
                state.byPath[path, default: []].append(app.id)
            }
        }
    }

    /// Removes an app. Returns the connects it had not answered and the connections pinned to it.
    func detach(_ appID: UInt64) -> (pending: [EventLoopPromise<HandshakeDecision>], pinned: [ConnectionHandle]) {
        var unopened: [EventLoopPromise<Void>] = []
        defer { unopened.forEach { $0.fail(OpenedTooLate()) } }  // outside the lock: callbacks may run inline
        return self.state.withLockedValue { state in
            guard let app = state.apps.removeValue(forKey: appID) else { return ([], []) }
            for path in app.paths {
                state.byPath[path]?.removeAll { $0 == appID }
                if state.byPath[path]?.isEmpty == true { state.byPath[path] = nil }
            }
            var promises: [EventLoopPromise<HandshakeDecision>] = []
            for (conn, pending) in state.pending {
                switch pending {
                case .awaiting(let owner, let promise) where owner == appID:
                    promises.append(promise)
                    state.pending[conn] = nil
                case .accepted(let owner, let opened) where owner == appID:
                    unopened.append(opened)
                    state.pending[conn] = nil
                default:
                    break
                }
            }
            var pinned: [ConnectionHandle] = []
            for (conn, owner) in state.pins where owner == appID {
                state.pins[conn] = nil
                if let handle = state.connections[conn] { pinned.append(handle) }
            }
            return (promises, pinned)
        }
    }

    /// The next app serving the first of `paths` that some app serves, round-robin.
    func pickApp(for paths: [String]) -> AppHandle? {
        self.state.withLockedValue { state in Self.pick(paths, &state) }
    }

    private static func pick(_ paths: [String], _ state: inout State) -> AppHandle? {
        guard let path = paths.first(where: { state.byPath[$0]?.isEmpty == false }), let candidates = state.byPath[path] else {
            return nil
        }
        let turn = state.turn[path, default: 0]
        state.turn[path] = turn &+ 1
        return state.apps[candidates[turn % candidates.count]]
    }

    func addPending(_ conn: ConnectionID, app: UInt64, promise: EventLoopPromise<HandshakeDecision>) {
        self.state.withLockedValue { $0.pending[conn] = .awaiting(app: app, promise: promise) }
    }

    /// An app's accept or reject for `conn`. For an accept, `opened` completes once the connection is
    /// upgraded (so the app's `ok` means it may `send` at once).
    func resolve(_ conn: ConnectionID, by app: UInt64, accepted opened: EventLoopPromise<Void>?) -> Resolution {
        self.state.withLockedValue { state in
            guard case .awaiting(let owner, let promise) = state.pending[conn], owner == app else {
                let known = state.pending[conn] != nil || state.connections[conn] != nil || state.unpinned.contains(conn)
                return known ? .notPending : .unknown
            }
            state.pending[conn] = opened.map { .accepted(app: app, opened: $0) }
            return .resolved(promise)
        }
    }

    /// The connect timed out or the client left: returns the promise if still undecided; an accept whose
    /// client never upgraded is dropped (the app's `ok` becomes `unknown_conn`).
    func expire(_ conn: ConnectionID) -> EventLoopPromise<HandshakeDecision>? {
        let removed = self.state.withLockedValue { $0.pending.removeValue(forKey: conn) }
        switch removed {
        case .awaiting(_, let promise):
            return promise
        case .accepted(_, let opened):
            opened.fail(OpenedTooLate())
            return nil
        case nil:
            return nil
        }
    }

    /// Records an opened connection and pins it: to the app that accepted it, or (when another auth
    /// mode decided) to the next app serving its path (``ConnectionHandle/appPaths``). `offered` is true when that app has not seen the
    /// connection yet and must be sent a `connect`.
    func opened(_ connection: ConnectionHandle) -> (app: AppHandle, offered: Bool)? {
        var accepted: EventLoopPromise<Void>?
        defer { accepted?.succeed() }  // outside the lock: callbacks may run inline
        return self.state.withLockedValue { state in
            if case .accepted(let owner, let opened) = state.pending.removeValue(forKey: connection.id) {
                accepted = opened
                if let app = state.apps[owner] {
                    state.pins[connection.id] = owner
                    state.connections[connection.id] = connection
                    return (app, false)
                }
            }
            guard let app = Self.pick(connection.appPaths, &state) else {
                state.unpinned.insert(connection.id)
                return nil
            }
            state.pins[connection.id] = app.id
            state.connections[connection.id] = connection
            return (app, true)
        }
    }

    /// The app a connection is pinned to, if any.
    func pinnedApp(_ conn: ConnectionID) -> AppHandle? {
        self.state.withLockedValue { state in state.pins[conn].flatMap { state.apps[$0] } }
    }

    /// Forgets a closed connection; returns the app it was pinned to.
    func closed(_ conn: ConnectionID) -> AppHandle? {
        self.state.withLockedValue { state in
            state.connections[conn] = nil
            state.unpinned.remove(conn)
            return state.pins.removeValue(forKey: conn).flatMap { state.apps[$0] }
        }
    }

    /// The connection `conn` if it is pinned to `app` (an app acts only on its own connections).
    func connection(_ conn: ConnectionID, pinnedTo app: UInt64) -> ConnectionHandle? {
        self.state.withLockedValue { state in state.pins[conn] == app ? state.connections[conn] : nil }
    }

    /// The attached apps, for status.
    var apps: [AppHandle] {
        self.state.withLockedValue { state in state.apps.values.sorted { $0.id < $1.id } }
    }

    /// Connections pinned to each app, for status.
    func pinnedCount(_ app: UInt64) -> Int {
        self.state.withLockedValue { state in state.pins.values.reduce(0) { $0 + ($1 == app ? 1 : 0) } }
    }
}
