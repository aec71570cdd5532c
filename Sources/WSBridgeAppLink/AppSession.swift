import NIOCore
import WSBridgeCore
import WSBridgeProtocol

/// A session an app registered for a user: deliveries for that user reach the app as `deliver` events,
/// each with the session's position (`pos`). Lives in the shard of the app connection's event loop.
///
/// It starts with a recovery (``SessionCursor``): from `since` when the app gave one (what it missed of
/// an earlier session comes first, then what arrived meanwhile), else from the current positions; the
/// `register` request's `ok`, with the position, is sent once that is done.
final class AppSession: Session {
    let id: String
    private unowned let app: AppConnection
    private var cursor: SessionCursor
    /// The `register` reply, sent once the recovery is done.
    private var pendingReply: (ticket: ReplySequencer.Ticket, id: RequestID?)?

    init(id: String, user: String, since: SessionPosition?, app: AppConnection, reply: (ReplySequencer.Ticket, RequestID?)) {
        self.id = id
        self.app = app
        self.cursor = SessionCursor(since: since, holdLimit: app.link.settings.maxQueueBytes)
        self.pendingReply = reply
        super.init(user: user, tracksPositions: true)
    }

    override var recoverySince: SessionPosition? { self.cursor.since }

    override func deliver(_ delivery: Delivery) {
        self.deliver(delivery, stream: delivery.target == .all ? .all : .user, position: nil)
    }

    override func deliver(_ delivery: Delivery, stream: SessionStream, position: StreamPosition?) {
        switch self.cursor.admit(delivery, stream: stream, at: position) {
        case .deliver(let after):
            self.write(delivery, position: after)
        case .skip, .held, .overflowed:
            break  // an overflow is reported as a gap when the recovery comes
        }
    }

    override func flush() {
        self.app.flush()
    }

    override func gap(_ gap: StreamGap, stream: SessionStream) {
        if case .gap(let gap, let position) = self.cursor.gap(gap, stream: stream) {
            self.app.write(.gap(AppGap(gap, session: self.id, position: position)))
        }
    }

    override func recovered(_ recovery: SessionRecovery) {
        for output in self.cursor.recovered(recovery) {
            switch output {
            case .deliver(let delivery, let position):
                self.write(delivery, position: position)
            case .gap(let gap, let position):
                self.app.write(.gap(AppGap(gap, session: self.id, position: position)))
            }
        }
        if let (ticket, id) = self.pendingReply {
            self.pendingReply = nil
            let known = self.cursor.position.user != nil || self.cursor.position.all != nil
            self.app.reply(ticket, .ok(id: id, pos: known ? "\(self.cursor.position)" : nil))
        }
        self.app.flush()
    }

    private func write(_ delivery: Delivery, position: SessionPosition?) {
        self.app.write(
            .deliver(
                session: self.id, user: self.user, payload: delivery.payload, isBinary: delivery.isBinary,
                pos: position.map { "\($0)" }))
    }
}

extension AppGap {
    /// The `gap` event for a gap of the node's stream (`session` nil: every app is told), or of a session.
    init(_ gap: StreamGap, session: String? = nil, position: SessionPosition? = nil) {
        let user: String?
        switch gap.stream {
        case .user(let name): user = name
        case .all: user = nil
        }
        self.init(
            session: session, user: user, stream: user == nil ? "all" : "user", reason: gap.reason.rawValue,
            after: gap.after.map { "\($0)" }, missed: gap.missed, pos: position.map { "\($0)" })
    }
}
