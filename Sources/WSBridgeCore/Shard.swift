import NIOCore

/// The sessions held by one event loop, indexed by user, and the fan-out to them.
///
/// There is one shard per event loop. A shard is touched only from its own loop, so delivery takes no
/// lock: the ``Router`` hands each shard a whole batch of deliveries with one `execute`, and the shard
/// writes to every recipient, then flushes each recipient once.
public final class Shard {
    public let eventLoop: EventLoop
    /// Position of this shard in the router's list.
    public let index: Int

    private var sessions: [Session] = []
    private var byUser: [String: [Session]] = [:]
    private var awaitingFlush: [Session] = []
    private var heartbeatTask: RepeatedTask?

    /// Counters, read through ``Router/snapshot()``.
    public private(set) var counters = ShardCounters()

    init(eventLoop: EventLoop, index: Int) {
        self.eventLoop = eventLoop
        self.index = index
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
        self.byUser[session.user, default: []].append(session)
        self.counters.sessionsAdded += 1
    }

    /// Removes a session; harmless if it was never added or is already gone.
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
        if var list = self.byUser[session.user] {
            if let position = list.firstIndex(where: { $0 === session }) {
                list.remove(at: position)
            }
            self.byUser[session.user] = list.isEmpty ? nil : list
        }
        self.counters.sessionsRemoved += 1
    }

    /// Whether `user` has a session here.
    public func holds(user: String) -> Bool {
        self.byUser[user] != nil
    }

    /// Writes every delivery of the batch to its recipients here, then flushes each recipient once.
    public func deliver(_ batch: [Delivery]) {
        self.eventLoop.preconditionInEventLoop()
        for delivery in batch {
            switch delivery.target {
            case .user(let user):
                if let recipients = self.byUser[user] {
                    self.write(delivery, to: recipients)
                }
            case .users(let users):
                for user in users {
                    if let recipients = self.byUser[user] {
                        self.write(delivery, to: recipients)
                    }
                }
            case .all:
                self.write(delivery, to: self.sessions)
            }
        }
        self.flushAll()
    }

    private func write(_ delivery: Delivery, to recipients: [Session]) {
        for session in recipients {
            session.deliver(delivery)
            if !session.awaitsFlush {
                session.awaitsFlush = true
                self.awaitingFlush.append(session)
            }
        }
        self.counters.deliveries[delivery.source, default: 0] += recipients.count
    }

    private func flushAll() {
        // A session's flush may close it and remove it from the shard; the list is ours alone.
        let pending = self.awaitingFlush
        self.awaitingFlush.removeAll(keepingCapacity: true)
        for session in pending {
            session.awaitsFlush = false
            session.flush()
        }
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
        // Heartbeats may close sessions, which removes them: iterate over a copy.
        for session in self.sessions {
            session.heartbeat(now: now)
        }
    }

    /// All sessions, for status and tests.
    public var allSessions: [Session] { self.sessions }

    /// Calls `close` on every session now held, spread evenly over `window` in up to 50 steps.
    public func drain(over window: TimeAmount, close: @escaping (Session) -> Void) {
        self.eventLoop.preconditionInEventLoop()
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

    /// Counts a message that was dropped for one recipient because of a limit.
    public func countLimitHit(_ limit: LimitKind) {
        self.counters.limitHits[limit, default: 0] += 1
    }
}

/// Per-shard counters; summed over shards in ``RegistrySnapshot``.
public struct ShardCounters: Sendable {
    public var sessionsAdded = 0
    public var sessionsRemoved = 0
    public var deliveries: [DeliverySource: Int] = [:]
    public var limitHits: [LimitKind: Int] = [:]
}

/// The limits whose hits are counted.
public enum LimitKind: String, Sendable, CaseIterable {
    case slowConsumer = "slow_consumer"
    case messageTooBig = "message_too_big"
    case idleTimeout = "idle_timeout"
    case handshakeTimeout = "handshake_timeout"
    case maxConnections = "max_connections"
}
