import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import WSBridgeBroker
import WSBridgeCore
import WSBridgeProtocol

/// The node's presence: the ledger the shards count sessions into, its writes to the shared presence in
/// Redis (batched, renewed every heartbeat), the answers to presence queries, and the `online` and
/// `offline` events. With the embedded broker there is one host: queries and events come from the
/// ledger, exact and at once.
///
/// Writes run on the broker's event loop: a change waits at most ``flushDelay`` for the next write
/// (changes meanwhile join it); a failed write is retried after ``retryDelay`` and replaces the node's
/// whole entry (``PresenceTable``).
final class PresenceService: Sendable {
    /// How long a change waits before it is written: changes within it share one write.
    static let flushDelay = TimeAmount.milliseconds(50)
    /// How long after a failed write the next one is tried; doubled after each further failure, up to
    /// ``maximumRetryDelay`` (each retry replaces the whole entry, so a Redis that keeps refusing must
    /// not get one every 250 ms).
    static let retryDelay = TimeAmount.milliseconds(250)
    static let maximumRetryDelay = TimeAmount.seconds(10)

    let ledger: PresenceLedger
    let counters = Counters()
    private let redis: (any RedisBackedBroker)?
    private let node: String
    private let ttl: TimeAmount
    private let heartbeat: TimeAmount
    private let eventLoop: EventLoop
    private let state: NIOLoopBoundBox<State>
    /// Where `online` and `offline` events go, and whether anyone here wants them (set once the app
    /// link exists).
    private let listener: NIOLockedValueBox<Listener>

    /// What presence costs and finds, since start. Thread safe.
    final class Counters: Sendable {
        let queries = ManagedAtomic<Int>(0)
        let queriedUsers = ManagedAtomic<Int>(0)
        let queryFailures = ManagedAtomic<Int>(0)
        let writes = ManagedAtomic<Int>(0)
        let writeFailures = ManagedAtomic<Int>(0)
        let events = ManagedAtomic<Int>(0)
    }

    /// The closures live in a struct on purpose: a closure stored in a generic box as itself is
    /// re-wrapped in two reabstraction thunks each time `withLockedValue { $0 }` reads it (the `inout`
    /// access writes it back). It grew by two layers per read, and every call went down the whole
    /// chain: with the embedded broker, each user's arrival and departure reads `emit`, and after
    /// 57,000 connects a connect cost 450 µs instead of 70 (and the chain would in time overflow the
    /// stack). A struct's fields keep their own representation; reading them copies, nothing grows.
    struct Listener: Sendable {
        var emit: (@Sendable (AppPresenceEvent) -> Void)?
        /// Whether this node has apps that want the events (Redis publishes none while no host has).
        var listening: @Sendable () -> Bool = { false }
    }

    private struct State {
        var flushScheduled = false
        var retryAt: NIODeadline?
        var failuresInARow = 0
        var heartbeatTask: RepeatedTask?
        var stopped = false
        /// What the last write said about `listening`.
        var listensWritten = false
    }

    /// - Parameters:
    ///   - redis: the Redis broker; nil for the embedded broker (one host, the ledger is the truth).
    ///   - routesUsers: per-user routing: each user's first and last session here also (un)subscribes the
    ///     broker to that user's channel.
    init(
        redis: (any RedisBackedBroker)?, eventLoop: EventLoop, node: String, ttl: TimeAmount, heartbeat: TimeAmount,
        routesUsers: Bool = false
    ) {
        self.redis = redis
        self.node = node
        self.ttl = ttl
        self.heartbeat = heartbeat
        self.eventLoop = eventLoop
        self.state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: eventLoop)
        let listener = NIOLockedValueBox(Listener())
        self.listener = listener
        let counters = self.counters
        let box = NIOLockedValueBox<PresenceService?>(nil)
        let local = redis == nil
        let router: (any RedisBackedBroker)? = routesUsers ? redis : nil
        self.ledger = PresenceLedger(
            transition: { user, transition in
                // Per-user routing: the broker hops to its own loop and batches what one tick brought.
                if let router {
                    if transition == .online {
                        router.route(added: [user], removed: [])
                    } else {
                        router.route(added: [], removed: [user])
                    }
                }
                // With Redis, the events come from Redis (cluster-wide); alone, from here. Called under
                // the ledger's lock: the event only goes onto one loop (in order) and is sent from
                // there, since sending may close an app whose sessions then leave the ledger.
                guard local, let emit = listener.withLockedValue({ $0.emit }) else { return }
                counters.events.wrappingIncrement(ordering: .relaxed)
                let event = AppPresenceEvent(online: transition == .online, user: user)
                eventLoop.execute { emit(event) }
            },
            pending: { box.withLockedValue { $0 }?.changesPending() },
            tracksChanges: !local
        )
        if redis != nil {
            box.withLockedValue { $0 = self }
        }
    }

    /// Sends `online` and `offline` events to `emit` from now on; `listening` says whether any app
    /// wants them now.
    func deliverEvents(
        to emit: @escaping @Sendable (AppPresenceEvent) -> Void, listening: @escaping @Sendable () -> Bool
    ) {
        self.listener.withLockedValue { $0 = Listener(emit: emit, listening: listening) }
    }

    /// Whether any app here wants `online` and `offline` events now.
    private var isListening: Bool { self.listener.withLockedValue { $0.listening }() }

    /// An app that wants events attached: Redis is told at once, not at the next heartbeat.
    func listenerAttached() {
        guard self.redis != nil else { return }
        self.eventLoop.execute {
            if !self.state.value.listensWritten {
                self.write(refresh: true)
            }
        }
    }

    /// The side channel Redis publishes presence events on, for the broker to subscribe to.
    static func eventChannel(_ channel: String) -> String { RedisFunctionLibrary.presenceChannel(of: channel) }

    /// A message on the presence channel: `{"type":"online"|"offline","user":…}` from the library.
    func eventReceived(_ payload: ByteBuffer) {
        guard let event = AppPresenceEvent(json: payload), let emit = self.listener.withLockedValue({ $0.emit }) else { return }
        self.counters.events.wrappingIncrement(ordering: .relaxed)
        emit(event)
    }

    // MARK: Writing

    /// Starts the heartbeat (Redis only).
    func start() {
        guard self.redis != nil else { return }
        self.eventLoop.execute {
            let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
            self.state.value.heartbeatTask = self.eventLoop.scheduleRepeatedTask(
                initialDelay: self.heartbeat, delay: self.heartbeat
            ) { _ in
                loopBound.value.write(refresh: true)
            }
            self.write(refresh: false)
        }
    }

    /// The broker link changed: once back, the node's entry is written whole.
    func linkChanged(_ linked: Bool) {
        if linked, self.redis != nil {
            self.ledger.linkRestored()
        }
    }

    /// Stops writing; the node's entry is removed at once (its users leave without waiting for the
    /// TTL) if Redis is reachable.
    func stop() -> EventLoopFuture<Void> {
        guard let redis = self.redis else { return self.eventLoop.makeSucceededVoidFuture() }
        return self.eventLoop.flatSubmit {
            self.state.value.stopped = true
            self.state.value.heartbeatTask?.cancel()
            self.state.value.heartbeatTask = nil
            return redis.leavePresence(node: self.node).recover { _ in () }
        }
    }

    private func changesPending() {
        self.eventLoop.execute {
            guard !self.state.value.flushScheduled, !self.state.value.stopped else { return }
            self.state.value.flushScheduled = true
            var delay = Self.flushDelay
            if let retryAt = self.state.value.retryAt {
                delay = max(delay, retryAt - .now())
            }
            let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
            self.eventLoop.scheduleTask(in: delay) {
                let service = loopBound.value
                service.state.value.flushScheduled = false
                service.write(refresh: false)
            }
        }
    }

    private func write(refresh: Bool) {
        guard let redis = self.redis, !self.state.value.stopped, let write = self.ledger.nextWrite(refresh: refresh) else {
            return
        }
        self.counters.writes.wrappingIncrement(ordering: .relaxed)
        let entries = write.entries.map { (user: $0.user, sessions: $0.sessions) }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let listens = self.isListening
        self.state.value.listensWritten = listens
        redis.writePresence(node: self.node, ttl: self.ttl, replace: write.replace, listens: listens, entries: entries)
            .hop(to: self.eventLoop)
            .whenComplete { result in
                let service = loopBound.value
                switch result {
                case .success(let wasAlive):
                    service.state.value.retryAt = nil
                    service.state.value.failuresInARow = 0
                    service.ledger.written(write, wasAlive: wasAlive)
                    // A listener that came or went while this write was in flight is told now.
                    if service.isListening != service.state.value.listensWritten {
                        service.write(refresh: true)
                    }
                case .failure:
                    service.counters.writeFailures.wrappingIncrement(ordering: .relaxed)
                    let failures = min(service.state.value.failuresInARow, 6)
                    service.state.value.failuresInARow += 1
                    let delay = min(Self.maximumRetryDelay, .nanoseconds(Self.retryDelay.nanoseconds << failures))
                    service.state.value.retryAt = .now() + delay
                    service.ledger.failed(write)
                }
            }
    }

    // MARK: Queries

    /// Per user, the hosts that hold it (this one by its ledger, the others by Redis).
    func holders(_ users: [String]) -> EventLoopFuture<[String: Set<String>]> {
        let local = self.ledger.sessions(of: users)
        let node = self.node
        var here: [String: Set<String>] = [:]
        for (user, sessions) in zip(users, local) {
            here[user] = sessions > 0 ? [node] : []
        }
        guard let redis = self.redis else { return self.eventLoop.makeSucceededFuture(here) }
        return redis.presence(of: users).map { [here] holdings in
            var all = here
            for (user, held) in zip(users, holdings) {
                all[user, default: []].formUnion(held.map(\.node).filter { $0 != node })
            }
            return all
        }
    }

    /// The hosts alive in the shared presence, this one included.
    func liveHosts() -> EventLoopFuture<Set<String>> {
        guard let redis = self.redis else { return self.eventLoop.makeSucceededFuture([self.node]) }
        let node = self.node
        return redis.presenceHosts().map { Set($0).union([node]) }
    }

    /// Who holds each user: per user, the sessions and hosts, in the order asked. The node's own count
    /// is read from the ledger (exact, also before its write reached Redis).
    func query(_ users: [String]) -> EventLoopFuture<[AppPresence]> {
        self.counters.queries.wrappingIncrement(ordering: .relaxed)
        self.counters.queriedUsers.wrappingIncrement(by: users.count, ordering: .relaxed)
        let local = self.ledger.sessions(of: users)
        guard let redis = self.redis else {
            let answer = zip(users, local).map { AppPresence(user: $0, sessions: $1, hosts: $1 > 0 ? 1 : 0) }
            return self.eventLoop.makeSucceededFuture(answer)
        }
        let node = self.node
        let counters = self.counters
        return redis.presence(of: users).map { holdings in
            zip(users, zip(holdings, local)).map { user, pair in
                let (held, here) = pair
                let others = held.filter { $0.node != node }
                let sessions = others.reduce(here) { $0 + $1.sessions }
                return AppPresence(user: user, sessions: sessions, hosts: others.count + (here > 0 ? 1 : 0))
            }
        }.flatMapErrorThrowing { error in
            counters.queryFailures.wrappingIncrement(ordering: .relaxed)
            throw PresenceLookupError(error)
        }
    }
}
