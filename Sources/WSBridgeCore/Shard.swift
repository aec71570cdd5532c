import CoreMetrics
import NIOCore

/// The sessions held by one event loop, indexed by user, and the fan-out to them.
///
/// There is one shard per event loop. A shard is touched only from its own loop, so delivery takes no
/// lock: the ``Router`` hands each shard a whole batch of deliveries with one `execute`, and the shard
/// writes to every recipient, then flushes each recipient once.
///
/// With a write-coalescing window (`write_coalesce_window`), the shard does not flush at the end of the
/// batch: the first batch that writes after a flush schedules one task, `window` later, that flushes
/// every session written since. Messages that fall due for one connection within the window thus go
/// out in one flush (one `write`), and none waits longer than the window. One timer per shard, never
/// per session.
///
/// Delivery latency (arrival at wsbridge to the flush that wrote it) is recorded once per message
/// per flush on each shard that had a recipient for it, never per recipient: one clock read per flush
/// and one histogram record per message keep the fan-out loop free of per-recipient bookkeeping.
/// With a window, it is recorded when the delayed flush runs, so it includes the wait.
public final class Shard {
    public let eventLoop: EventLoop
    /// Position of this shard in the router's list.
    public let index: Int

    private var sessions: [Session] = []
    private var byUser: [String: UserSessions] = [:]
    /// Sessions written to since the last flush. A session removed meanwhile stays listed with
    /// `awaitsFlush` cleared, and is skipped: the shard never flushes a session it no longer holds.
    private var awaitingFlush: [Session] = []
    /// The list being flushed; empty between flushes (see ``flushAll()``).
    private var flushing: [Session] = []
    private var heartbeatTask: RepeatedTask?
    private let deliveryLatency: CoreMetrics.Timer?
    /// Arrival times of the messages written here since the last flush that had a recipient here;
    /// reused between flushes.
    private var writtenArrivals: [NIODeadline] = []
    /// The delayed flush, while one is pending (only with a window).
    private var scheduledFlush: Scheduled<Void>?

    /// How long written deliveries may wait for their flush; `.zero` flushes at the end of each batch.
    public private(set) var writeCoalesceWindow: TimeAmount

    /// Counters, read through ``Router/snapshot()``.
    public private(set) var counters = ShardCounters()

    /// Where users coming and going, and the recoveries of sessions that track positions, are reported;
    /// nil when the node tracks no streams.
    private let streamEvents: ShardStreamEvents?
    /// Where every session's arrival and departure is counted, for presence; nil counts nothing.
    private let presence: PresenceLedger?
    /// The last recovery ticket handed out here (tickets are unique per node: the shard index is in the
    /// top bits).
    private var lastTicket: UInt64 = 0

    /// Connections in their handshake (``PendingHandshake``), and the timer of the first to run out.
    private var handshakes = HandshakeTable()
    private var handshakeTimer: Scheduled<Void>?
    /// Which arming of the timer is current: a callback NIO already took off its queue when the timer
    /// was re-armed still runs, and must do nothing.
    private var handshakeTimerGeneration: UInt64 = 0
    /// Set by ``drain(over:close:)``: the node is shutting down, and nothing opens any more.
    private var isDraining = false

    init(
        eventLoop: EventLoop, index: Int, deliveryLatency: CoreMetrics.Timer?, writeCoalesceWindow: TimeAmount = .zero,
        streamEvents: ShardStreamEvents? = nil, presence: PresenceLedger? = nil
    ) {
        self.eventLoop = eventLoop
        self.index = index
        self.deliveryLatency = deliveryLatency
        self.writeCoalesceWindow = max(.zero, writeCoalesceWindow)
        self.streamEvents = streamEvents
        self.presence = presence
    }

    /// The number of sessions held.
    public var sessionCount: Int { self.sessions.count }
    /// The number of distinct users with at least one session here.
    public var userCount: Int { self.byUser.count }

    /// Adds a session; it receives every delivery for its user from now on.
    public func add(_ session: Session) {
        self.eventLoop.preconditionInEventLoop()
        precondition(!session.isRegistered, "session added twice")
        session.slot = self.sessions.count
        self.sessions.append(session)
        if self.byUser[session.user] == nil {
            self.byUser[session.user] = UserSessions(session)
            self.streamEvents?.userAppeared(session.user)
        } else {
            self.byUser[session.user]!.append(session)
        }
        self.counters.sessionsAdded += 1
        self.presence?.sessionAdded(session.user)
        guard session.tracksPositions else { return }
        guard let streamEvents = self.streamEvents else {
            // No stream tracker (no history): the session starts at once, without positions.
            session.recovered(SessionRecovery(user: session.user, parts: []))
            return
        }
        self.lastTicket += 1
        let ticket = UInt64(self.index) << 48 | self.lastTicket
        session.recoveryTicket = ticket
        streamEvents.recover(
            SessionRecoveryRequest(
                ticket: ticket, user: session.user, since: session.recoverySince,
                session: NIOLoopBound(session, eventLoop: self.eventLoop)))
    }

    /// Tells the sessions of the gap's stream that track positions, and flushes them.
    public func gap(_ gap: StreamGap) {
        self.eventLoop.preconditionInEventLoop()
        switch gap.stream {
        case .all:
            Self.tell(gap, stream: .all, to: self.sessions)
        case .user(let user):
            if let sessions = self.byUser[user] {
                Self.tell(gap, stream: .user, to: sessions)
            }
        }
    }

    private static func tell<Recipients: Collection<Session>>(_ gap: StreamGap, stream: SessionStream, to recipients: Recipients) {
        for session in recipients where session.tracksPositions {
            session.gap(gap, stream: stream)
            if session.isRegistered {
                session.flush()
            }
        }
    }

    /// Removes a session; harmless if it was never added or is already gone. The shard will not flush
    /// it again, even if it was written to since the last flush: the caller flushes or closes it.
    public func remove(_ session: Session) {
        self.eventLoop.preconditionInEventLoop()
        let slot = session.slot
        guard slot >= 0, slot < self.sessions.count, self.sessions[slot] === session else { return }
        let last = self.sessions.removeLast()
        if last !== session {
            self.sessions[slot] = last
            last.slot = slot
        }
        session.slot = -1
        // Whoever removes a session flushes or closes it; a pending flush must not touch it later.
        session.awaitsFlush = false
        if let sessions = self.byUser[session.user] {
            let rest = sessions.removing(session)
            self.byUser[session.user] = rest
            if rest == nil {
                self.streamEvents?.userLeft(session.user)
            }
        }
        if session.recoveryTicket != 0 {
            self.streamEvents?.abandon(session.recoveryTicket)
            session.recoveryTicket = 0
        }
        self.counters.sessionsRemoved += 1
        self.presence?.sessionRemoved(session.user)
    }

    /// Whether `user` has a session here.
    public func holds(user: String) -> Bool {
        self.byUser[user] != nil
    }

    /// Writes every delivery of the batch to its recipients here, then flushes each recipient once:
    /// at once, or with a window when it ends (see ``setWriteCoalesceWindow(_:)``).
    public func deliver(_ batch: [Delivery]) {
        self.eventLoop.preconditionInEventLoop()
        // A lone message with no window (the usual case at a steady rate) is written and flushed to
        // each recipient in one pass down its pipeline, with no flush list to keep.
        let flushEach = batch.count == 1 && self.writeCoalesceWindow == .zero
        for delivery in batch {
            var written = 0
            let positions = delivery.positions
            switch delivery.target {
            case .user(let user):
                if let recipients = self.byUser[user] {
                    written += self.write(
                        delivery, to: recipients, stream: .user, position: positions.first, flushEach: flushEach)
                }
            case .users(let users):
                for (index, user) in users.enumerated() {
                    if let recipients = self.byUser[user] {
                        let position = index < positions.count ? positions[index] : nil
                        written += self.write(delivery, to: recipients, stream: .user, position: position, flushEach: flushEach)
                    }
                }
            case .all:
                written += self.write(delivery, to: self.sessions, stream: .all, position: positions.first, flushEach: flushEach)
            }
            if written > 0, self.deliveryLatency != nil {
                self.writtenArrivals.append(delivery.arrivedAt)
            }
            if let tally = delivery.tally {
                self.count(tally)
            }
        }
        if flushEach {
            self.recordLatency()
        } else if self.writeCoalesceWindow > .zero {
            self.scheduleFlush()
        } else {
            self.flushNow()
        }
    }

    /// Counts for a receipt the sessions here of every user the message was published for (all
    /// sessions for `all`), whichever piece of it this is.
    private func count(_ tally: ReceiptTally) {
        guard let users = tally.users else {
            tally.counted(shard: self.index, total: self.sessions.count, users: [])
            return
        }
        let reached = users.map { ($0, self.byUser[$0]?.count ?? 0) }
        tally.counted(shard: self.index, total: reached.reduce(0) { $0 + $1.1 }, users: reached)
    }

    /// Sets the write-coalescing window for the batches to come. Turning it off flushes what waits
    /// at once; a flush already scheduled under another window keeps its time.
    public func setWriteCoalesceWindow(_ window: TimeAmount) {
        self.eventLoop.preconditionInEventLoop()
        self.writeCoalesceWindow = max(.zero, window)
        if self.writeCoalesceWindow == .zero, self.scheduledFlush != nil {
            self.flushNow()
        }
    }

    /// Flushes every session written since the last flush, now, records the latency of what they
    /// carried, and cancels the scheduled flush if there is one (shutdown calls this once the broker
    /// is gone, so nothing written waits for a timer on a loop about to stop).
    public func flush() {
        self.eventLoop.preconditionInEventLoop()
        self.flushNow()
    }

    private func flushNow() {
        if let scheduled = self.scheduledFlush {
            scheduled.cancel()
            self.scheduledFlush = nil
        }
        self.flushAll()
        self.recordLatency()
    }

    /// Schedules the delayed flush, unless one is pending or nothing waits. On a loop that is shutting
    /// down, the task fails instead of running: the sessions go with the loop.
    private func scheduleFlush() {
        guard self.scheduledFlush == nil, !self.awaitingFlush.isEmpty else { return }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.scheduledFlush = self.eventLoop.scheduleTask(in: self.writeCoalesceWindow) {
            let shard = loopBound.value
            shard.scheduledFlush = nil
            shard.flushNow()
        }
    }

    /// One histogram record per message written here since the last flush, with one clock read: the
    /// event loop's (the real clock on a running loop, the test's on an embedded one).
    private func recordLatency() {
        guard let timer = self.deliveryLatency, !self.writtenArrivals.isEmpty else { return }
        let now = self.eventLoop.now
        for arrival in self.writtenArrivals {
            timer.recordNanoseconds(max(0, (now - arrival).nanoseconds))
        }
        self.writtenArrivals.removeAll(keepingCapacity: true)
    }

    /// Writes `delivery` to every session of `recipients`, and flushes each at once with `flushEach`;
    /// returns how many. `position` is the message's position in `stream`, for sessions that track them.
    private func write<Recipients: Collection<Session>>(
        _ delivery: Delivery, to recipients: Recipients, stream: SessionStream, position: StreamPosition?, flushEach: Bool
    ) -> Int {
        self.counters.deliveries[delivery.source, default: 0] += recipients.count
        if flushEach {
            for session in recipients {
                if session.tracksPositions {
                    session.deliver(delivery, stream: stream, position: position)
                    if session.isRegistered {
                        session.flush()
                    }
                } else {
                    session.deliverAndFlush(delivery)
                }
                // As in flushAll: a session that left while written to was not flushed by the shard.
                if session.isRegistered {
                    self.counters.flushes += 1
                }
            }
            return recipients.count
        }
        for session in recipients {
            // Listed before the write: a session that closes (and leaves the shard) while written to
            // clears the flag again and is not flushed.
            if !session.awaitsFlush {
                session.awaitsFlush = true
                self.awaitingFlush.append(session)
            }
            if session.tracksPositions {
                session.deliver(delivery, stream: stream, position: position)
            } else {
                session.deliver(delivery)
            }
        }
        return recipients.count
    }

    private func flushAll() {
        // A session's flush may close it and remove it from the shard: flush from the other list, so
        // that `awaitingFlush` is free to change meanwhile. Swapping two lists (both keep their
        // capacity) allocates nothing per batch, where copying one would.
        swap(&self.flushing, &self.awaitingFlush)
        for session in self.flushing where session.awaitsFlush {
            session.awaitsFlush = false
            session.flush()
            self.counters.flushes += 1
        }
        self.flushing.removeAll(keepingCapacity: true)
    }

    /// Calls ``Session/heartbeat(now:)`` on every session every `interval`.
    public func startHeartbeat(interval: TimeAmount) {
        self.eventLoop.preconditionInEventLoop()
        self.heartbeatTask?.cancel()
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.heartbeatTask = self.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            loopBound.value.beat()
        }
    }

    public func stopHeartbeat() {
        self.heartbeatTask?.cancel()
        self.heartbeatTask = nil
    }

    private func beat() {
        let now = self.eventLoop.now
        var largest = 0
        // Heartbeats may close sessions, which removes them: iterate over a copy.
        for session in self.sessions {
            largest = max(largest, session.pendingOutboundBytes)
            session.heartbeat(now: now)
        }
        self.counters.outboundQueueLargest = largest
        self.noteOutboundQueue(bytes: largest)
    }

    /// All sessions, for status and tests.
    public var allSessions: [Session] { self.sessions }

    /// The connections in their handshake now.
    public var pendingHandshakes: [any PendingHandshake] { self.handshakes.pending }

    /// A connection's handshake began: it is held until ``handshakeEnded(_:)``, and told
    /// ``PendingHandshake/timedOut()`` if that does not come within `timeout` (the latest `timeout`
    /// given applies to every handshake under way). Nil when the shard drains: the connection is not
    /// held, and should end (``PendingHandshake/drain()``).
    public func handshakeBegan(_ handshake: any PendingHandshake, timeout: TimeAmount) -> HandshakeTicket? {
        self.eventLoop.preconditionInEventLoop()
        guard !self.isDraining else { return nil }
        let (ticket, arm) = self.handshakes.begin(handshake, now: self.eventLoop.now, timeout: timeout)
        if let arm { self.armHandshakeTimer(for: arm) }
        return ticket
    }

    /// The connection opened (it is a session now) or ended.
    public func handshakeEnded(_ ticket: HandshakeTicket) {
        self.eventLoop.preconditionInEventLoop()
        self.handshakes.end(ticket)
    }

    /// Whether a handshake timer is armed (for tests).
    var handshakeTimerArmed: Bool { self.handshakeTimer != nil }

    private func armHandshakeTimer(for deadline: NIODeadline) {
        self.handshakeTimer?.cancel()
        self.handshakeTimerGeneration &+= 1
        let generation = self.handshakeTimerGeneration
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.handshakeTimer = self.eventLoop.scheduleTask(deadline: deadline) {
            let shard = loopBound.value
            guard shard.handshakeTimerGeneration == generation else { return }
            shard.handshakeTimer = nil
            let (timedOut, arm) = shard.handshakes.expire(now: shard.eventLoop.now)
            if let arm { shard.armHandshakeTimer(for: arm) }
            for handshake in timedOut {
                handshake.timedOut()
            }
        }
    }

    /// The node shuts down. Every connection in its handshake ends now (``PendingHandshake/drain()``:
    /// none of them opens any more), and `close` is called on every session now held, spread evenly
    /// over `window` in up to 50 steps.
    public func drain(over window: TimeAmount, close: @escaping (Session) -> Void) {
        self.eventLoop.preconditionInEventLoop()
        self.isDraining = true
        self.handshakeTimer?.cancel()
        self.handshakeTimer = nil
        self.handshakeTimerGeneration &+= 1
        for handshake in self.handshakes.takeAll() {
            handshake.drain()
        }
        let sessions = self.sessions
        guard !sessions.isEmpty else { return }
        let steps = max(1, min(50, sessions.count))
        let perStep = (sessions.count + steps - 1) / steps
        let stepDelay = window.nanoseconds / Int64(steps)
        for step in 0..<steps {
            let chunk = Array(sessions[min(step * perStep, sessions.count)..<min((step + 1) * perStep, sessions.count)])
            guard !chunk.isEmpty else { break }
            let bound = NIOLoopBound((chunk, close), eventLoop: self.eventLoop)
            self.eventLoop.scheduleTask(in: .nanoseconds(stepDelay * Int64(step))) {
                let (chunk, close) = bound.value
                chunk.forEach(close)
            }
        }
    }

    /// Counts a connection closed or refused, or a message dropped, because of a limit.
    public func countLimitHit(_ limit: LimitKind) {
        self.eventLoop.preconditionInEventLoop()
        self.counters.limitHits[limit, default: 0] += 1
    }

    /// Counts a message written to one session outside a batch (an app's `send` to one connection).
    public func countDirectDelivery(from source: DeliverySource) {
        self.eventLoop.preconditionInEventLoop()
        self.counters.deliveries[source, default: 0] += 1
    }

    /// Counts a refused WebSocket handshake.
    public func countRefusal(_ kind: RefusalKind) {
        self.eventLoop.preconditionInEventLoop()
        self.counters.refusals[kind, default: 0] += 1
    }

    /// Counts an upgraded connection that ended; `label` comes from ``CloseCode/disconnectLabel(_:closeFrameReceived:)``.
    public func countDisconnect(label: String) {
        self.eventLoop.preconditionInEventLoop()
        self.counters.disconnects[label, default: 0] += 1
    }

    /// Raises the outbound-queue high-water mark to `bytes` if it is higher. Called with each
    /// connection's pending bytes at every heartbeat, and by a connection as it crosses `max_queue_bytes`.
    public func noteOutboundQueue(bytes: Int) {
        if bytes > self.counters.outboundQueueHighWater {
            self.counters.outboundQueueHighWater = bytes
        }
    }
}
