import WSBridgeCore
import WSBridgeProtocol

/// The app protocol's rules for one app connection, as a state machine that does no I/O: `hello` comes
/// first and once, replies leave in the order of their requests, the sessions the app registered are
/// its own, which errors end the connection, what is cleaned up when the app goes, and `shutdown` told
/// once. It returns actions; ``AppConnection`` performs them (the directory, the router, the broker).
///
/// ```
///  awaiting hello ──hello, protocol 1──▶ attached ──the socket goes──▶ closed: its sessions leave the
///     │ anything else: hello_required       │ requests, replies in order             registry, its
///     │ another protocol: unsupported       │ (hello again: duplicate_hello)         connects and
///     └──────── the socket goes ────────────┴──▶ closed                              connections go
/// ```
///
/// Every request takes a ticket (``ReplySequencer``), answered now or later (a `publish` waits for the
/// broker); a reply leaves once every earlier one has.
struct AppConnectionStateMachine {
    /// The app as attached: what acting for it and cleaning up after it take.
    struct App: Equatable {
        var id: UInt64
        var name: String
        /// `wsbridge status`, `publish`: not counted or listed as an app.
        var isTool: Bool
    }

    enum State: Equatable {
        case awaitingHello
        case attached(App)
        case closed
    }

    /// A `hello` that attaches the app.
    struct Hello: Equatable {
        var id: RequestID?
        var app: App
        var paths: [String]
        var presenceEvents: Bool
    }

    /// A `register` the machine accepted, for the session to be made.
    struct Registration: Equatable {
        var ticket: ReplySequencer.Ticket
        var id: RequestID?
        var session: String
        var user: String
        var since: SessionPosition?
    }

    /// What to do.
    enum Action: Equatable {
        case none
        /// Answer `error` (counted, logged at a bounded rate); then close the connection if the error
        /// ``AppProtocolError/closesConnection``.
        case fail(ReplySequencer.Ticket, AppProtocolError)
        /// Attach the app (the directory, its counters, its log line) and answer `welcome`.
        case attach(ReplySequencer.Ticket, Hello)
        /// Add the new session to the router's shard; its `ok` comes once its recovery is done.
        case register(Session)
        /// Take the session out of the shard and answer `ok`.
        case unregister(ReplySequencer.Ticket, RequestID?, Session)
        /// Answer now.
        case reply(ReplySequencer.Ticket, AppEvent)
        /// A request of an attached app that no rule here concerns: served with the directory, the
        /// router or the broker.
        case serve(ReplySequencer.Ticket, AppRequest, App)

        static func == (lhs: Action, rhs: Action) -> Bool {
            switch (lhs, rhs) {
            case (.none, .none): true
            case (.fail(let t1, let e1), .fail(let t2, let e2)): t1 == t2 && e1 == e2
            case (.attach(let t1, let h1), .attach(let t2, let h2)): t1 == t2 && h1 == h2
            case (.register(let s1), .register(let s2)): s1 === s2
            case (.unregister(let t1, let i1, let s1), .unregister(let t2, let i2, let s2)): t1 == t2 && i1 == i2 && s1 === s2
            case (.reply(let t1, let e1), .reply(let t2, let e2)): t1 == t2 && e1 == e2
            case (.serve(let t1, let r1, let a1), .serve(let t2, let r2, let a2)): t1 == t2 && r1 == r2 && a1 == a2
            default: false
            }
        }
    }

    /// What goes with an app that leaves: its sessions, and (by its id) the connects it was deciding
    /// and the connections pinned to it.
    struct Departure {
        var app: App
        var sessions: [Session]
    }

    private(set) var state = State.awaitingHello
    /// The sessions the app registered, by the app's name for them.
    private var sessions: [String: Session] = [:]
    private var replies = ReplySequencer()
    private var toldShutdown = false

    /// One request (none once closed). `newAppID` is asked for when a `hello` attaches the app; `newSession` makes the
    /// session of an accepted `register` (it sends the register's `ok` once recovered).
    mutating func receive(
        _ request: AppRequest, newAppID: () -> UInt64, newSession: (Registration) -> Session
    ) -> Action {
        if self.state == .closed { return .none }
        guard case .attached(let app) = self.state else {
            guard case .hello(let id, let version, let name, let paths, let tool, let presenceEvents) = request else {
                return .fail(self.replies.take(), .helloRequired(id: request.id, request: request.type))
            }
            guard version == AppProtocol.version else {
                return .fail(self.replies.take(), .unsupportedProtocol(id: id, version: version))
            }
            let app = App(id: newAppID(), name: name, isTool: tool)
            self.state = .attached(app)
            return .attach(self.replies.take(), Hello(id: id, app: app, paths: paths, presenceEvents: presenceEvents))
        }
        let ticket = self.replies.take()
        switch request {
        case .hello(let id, _, _, _, _, _):
            return .fail(ticket, .duplicateHello(id: id))
        case .register(let id, let session, let user, let text):
            guard self.sessions[session] == nil else { return .fail(ticket, .duplicateSession(id: id, session: session)) }
            var since: SessionPosition?
            if let text, !text.isEmpty {
                guard let position = SessionPosition(text) else {
                    let message = "\"since\" must be the pos of a deliver event (USERPOS.ALLPOS), got \"\(text.prefix(64))\""
                    return .fail(ticket, AppProtocolError(code: .badField, message: message, id: id))
                }
                since = position
            }
            let made = newSession(Registration(ticket: ticket, id: id, session: session, user: user, since: since))
            self.sessions[session] = made
            return .register(made)
        case .unregister(let id, let session):
            guard let registered = self.sessions.removeValue(forKey: session) else {
                return .fail(ticket, .unknownSession(id: id, session: session))
            }
            return .unregister(ticket, id, registered)
        case .ping(let id):
            return .reply(ticket, .pong(id: id))
        case .accept, .reject, .publish, .send, .close, .status, .presence:
            return .serve(ticket, request, app)
        }
    }

    /// A frame that is not a request (``AppRequestParser``), or one the decoder refused.
    mutating func unreadable(_ error: AppProtocolError) -> Action {
        self.state == .closed ? .none : .fail(self.replies.take(), error)
    }

    /// The app stopped reading: past `app_max_queue_bytes` (`queueLimit`) an attached app is told and
    /// disconnected; nil when there is no app to disconnect.
    mutating func becameUnwritable(queueLimit: Int) -> Action? {
        guard case .attached = self.state else { return nil }
        return .fail(self.replies.take(), .slowConsumer(limit: queueLimit))
    }

    /// Records the reply to `ticket`; returns every reply now due, in order.
    mutating func complete(_ ticket: ReplySequencer.Ticket, with reply: AppEvent) -> [AppEvent] {
        self.replies.complete(ticket, with: reply)
    }

    /// The daemon is draining: true if this app is to be told (`shutdown`) now, once. An app that says
    /// `hello` during the drain is told right after its `welcome`.
    mutating func announceShutdown() -> Bool {
        guard case .attached = self.state, !self.toldShutdown else { return false }
        self.toldShutdown = true
        return true
    }

    /// The socket is gone (or the handler removed): what goes with the app, the first time, if it had
    /// attached.
    mutating func closed() -> Departure? {
        guard case .attached(let app) = self.state else {
            self.state = .closed
            return nil
        }
        self.state = .closed
        let departure = Departure(app: app, sessions: Array(self.sessions.values))
        self.sessions = [:]
        return departure
    }
}
