import Atomics
import Logging
import NIOCore

/// Runs the node's ``StreamTracker`` on one event loop (the broker's, where messages arrive) and
/// performs its actions: deliveries and gaps to the shards, history reads through the broker, recoveries
/// back to their sessions. Thread safe: every input hops to the tracker's loop.
///
/// History requests made during one event-loop tick go out together (one fetch of up to
/// ``StreamTracker/fetchBatchSize`` streams); a fetch that fails is retried every `retryDelay` until it
/// answers. Every `auditInterval` the positions of all tracked streams are read again (see
/// ``StreamTracker/audit()``).
public final class StreamTrackerDriver: Sendable {
    public typealias Fetch = @Sendable ([StreamTracker.HistoryRequest]) -> EventLoopFuture<[StreamTracker.HistoryReply]>

    /// What the node's history traffic amounts to, since start. Thread safe.
    public final class Counters: Sendable {
        /// Streams that started catching up (a hole, a new epoch, the subscription back).
        public let catchUps = ManagedAtomic<Int>(0)
        /// Messages delivered from the history (catch-ups and session recoveries).
        public let recoveredMessages = ManagedAtomic<Int>(0)
        /// Sessions that started from `since` (a client reconnecting) and got their recovery.
        public let recoveries = ManagedAtomic<Int>(0)
        /// Gaps found by the node, by reason.
        public let gapsHistoryLost = ManagedAtomic<Int>(0)
        public let gapsHistoryTrimmed = ManagedAtomic<Int>(0)
        /// Gaps reported to sessions in their recovery.
        public let sessionGaps = ManagedAtomic<Int>(0)
        /// History reads sent, and those that failed (retried).
        public let fetches = ManagedAtomic<Int>(0)
        public let fetchFailures = ManagedAtomic<Int>(0)
        /// Messages read back from the history that could not be parsed.
        public let invalidEntries = ManagedAtomic<Int>(0)

        public init() {}

        public func gaps(_ reason: StreamGap.Reason) -> Int {
            switch reason {
            case .historyLost: self.gapsHistoryLost.load(ordering: .relaxed)
            case .historyTrimmed: self.gapsHistoryTrimmed.load(ordering: .relaxed)
            }
        }
    }

    public let eventLoop: EventLoop
    public let counters = Counters()
    private let state: NIOLoopBoundBox<State>
    private let fetch: Fetch
    private let onGap: @Sendable (StreamGap) -> Void
    private let logger: Logger
    private let retryDelay: TimeAmount
    private let clock: @Sendable () -> NIODeadline

    private struct State {
        var tracker: StreamTracker
        var sessions: [UInt64: NIOLoopBound<Session>] = [:]
        var fetchesScheduled = false
        var retryScheduled = false
        var audit: RepeatedTask?
        var dispatch: @Sendable ([Delivery]) -> Void = { _ in }
        var dispatchGap: @Sendable (StreamGap) -> Void = { _ in }
        /// When the current catch-up began (the subscription came back), for the log.
        var catchUpStarted: NIODeadline?
    }

    /// - Parameters:
    ///   - fetch: reads the history (the broker); fail with ``HistoryFailure``.
    ///   - clock: the time (the router's clock): when history arrived, when a catch-up began.
    ///   - onGap: also told of every gap the node finds (apps, metrics are the daemon's).
    init(
        eventLoop: EventLoop, tracker: StreamTracker, fetch: @escaping Fetch, retryDelay: TimeAmount,
        auditInterval: TimeAmount?, clock: @escaping @Sendable () -> NIODeadline, logger: Logger,
        onGap: @escaping @Sendable (StreamGap) -> Void
    ) {
        self.eventLoop = eventLoop
        self.clock = clock
        self.fetch = fetch
        self.retryDelay = retryDelay
        self.logger = logger
        self.onGap = onGap
        self.state = NIOLoopBoundBox.makeBoxSendingValue(State(tracker: tracker), eventLoop: eventLoop)
        if let auditInterval {
            eventLoop.execute {
                self.state.value.audit = eventLoop.scheduleRepeatedTask(initialDelay: auditInterval, delay: auditInterval) { _ in
                    self.state.value.tracker.audit()
                    self.scheduleFetches()
                }
            }
        }
        self.onLoop { self.scheduleFetches() }
    }

    /// Where deliveries and gaps go (every shard): set once by the router, before any message arrives.
    func connect(dispatch: @escaping @Sendable ([Delivery]) -> Void, dispatchGap: @escaping @Sendable (StreamGap) -> Void) {
        self.onLoop {
            self.state.value.dispatch = dispatch
            self.state.value.dispatchGap = dispatchGap
        }
    }

    /// Stops the audit; pending fetches are left to fail with the broker.
    public func stop() {
        self.onLoop {
            self.state.value.audit?.cancel()
            self.state.value.audit = nil
        }
    }

    // MARK: Inputs (any thread)

    /// Messages from the broker. Called on the broker's loop, which is the tracker's.
    public func received(_ deliveries: [Delivery]) {
        self.onLoop {
            self.perform(self.state.value.tracker.received(deliveries))
        }
    }

    /// The broker's subscription went up or down.
    public func linkChanged(_ linked: Bool) {
        guard linked else { return }
        self.onLoop {
            let before = self.state.value.tracker.catchingUpCount
            self.state.value.tracker.linkUp()
            let started = self.state.value.tracker.catchingUpCount - before
            if started > 0 {
                self.counters.catchUps.wrappingIncrement(by: started, ordering: .relaxed)
                self.state.value.catchUpStarted = self.clock()
                self.logger.notice(
                    "broker linked: catching up from the history", metadata: ["wsb.streams": .stringConvertible(started)])
            }
            self.scheduleFetches()
        }
    }

    /// Per-user routing: the broker now receives these users' messages (their subscription was
    /// confirmed). What was published between the read of a stream's position and now is only in the
    /// history: each of their streams with a known position catches up.
    public func usersSubscribed(_ users: [String]) {
        self.onLoop {
            let before = self.state.value.tracker.catchingUpCount
            self.state.value.tracker.subscribed(users)
            let started = self.state.value.tracker.catchingUpCount - before
            if started > 0 {
                self.counters.catchUps.wrappingIncrement(by: started, ordering: .relaxed)
            }
            self.scheduleFetches()
        }
    }

    /// The number of streams tracked and catching up, and of distinct users with a session on this
    /// node, for status and metrics.
    public func snapshot() -> EventLoopFuture<(tracked: Int, catchingUp: Int, users: Int?)> {
        self.eventLoop.submit {
            let tracker = self.state.value.tracker
            return (tracker.trackedCount, tracker.catchingUpCount, tracker.userCount)
        }
    }

    /// Where shards report users and recoveries.
    var shardEvents: ShardStreamEvents {
        ShardStreamEvents(
            userAppeared: { user in
                self.onLoop {
                    self.state.value.tracker.userAppeared(user)
                    self.scheduleFetches()
                }
            },
            userLeft: { user in
                self.onLoop { self.state.value.tracker.userLeft(user) }
            },
            recover: { request in
                self.onLoop {
                    self.state.value.sessions[request.ticket] = request.session
                    let actions = self.state.value.tracker.recover(request.ticket, user: request.user, since: request.since)
                    self.perform(actions)
                    self.scheduleFetches()
                }
            },
            abandon: { ticket in
                self.onLoop {
                    self.state.value.sessions[ticket] = nil
                    self.state.value.tracker.abandon(ticket)
                }
            }
        )
    }

    // MARK: Actions (on the loop)

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if self.eventLoop.inEventLoop {
            body()
        } else {
            self.eventLoop.execute(body)
        }
    }

    private func perform(_ actions: [StreamTracker.Action]) {
        for action in actions {
            switch action {
            case .dispatch(let deliveries):
                let fromHistory = deliveries.reduce(0) { $0 + ($1.source == .history ? 1 : 0) }
                if fromHistory > 0 {
                    self.counters.recoveredMessages.wrappingIncrement(by: fromHistory, ordering: .relaxed)
                }
                self.state.value.dispatch(deliveries)
            case .gap(let gap):
                switch gap.reason {
                case .historyLost: self.counters.gapsHistoryLost.wrappingIncrement(ordering: .relaxed)
                case .historyTrimmed: self.counters.gapsHistoryTrimmed.wrappingIncrement(ordering: .relaxed)
                }
                self.state.value.dispatchGap(gap)
                self.onGap(gap)
            case .fetch(let id, let requests):
                self.counters.fetches.wrappingIncrement(ordering: .relaxed)
                self.fetch(requests).hop(to: self.eventLoop).whenComplete { result in
                    self.fetched(id, result)
                }
            case .recovered(let ticket, let recovery):
                self.deliverRecovery(ticket, recovery)
            case .retryLater:
                self.scheduleRetry()
            case .invalidEntry(let error):
                self.counters.invalidEntries.wrappingIncrement(ordering: .relaxed)
                self.logger.warning(
                    "a message in the history cannot be parsed; skipped",
                    metadata: ["wsb.code": "\(error.code.rawValue)", "wsb.error": "\(error.detail)"])
            }
        }
    }

    private func fetched(_ id: StreamTracker.FetchID, _ result: Result<[StreamTracker.HistoryReply], any Error>) {
        let mapped: Result<[StreamTracker.HistoryReply], HistoryFailure> = result.mapError { error in
            if let failure = error as? HistoryFailure { return failure }
            return .failed("\(error)")
        }
        if case .failure(let failure) = mapped {
            self.counters.fetchFailures.wrappingIncrement(ordering: .relaxed)
            if case .failed(let reason) = failure {
                self.logger.debug("history read failed; retrying", metadata: ["wsb.error": "\(reason)"])
            }
        }
        let before = self.state.value.tracker.catchingUpCount
        let actions = self.state.value.tracker.fetchReplied(id, mapped, now: self.clock())
        self.perform(actions)
        let after = self.state.value.tracker.catchingUpCount
        if after > before {
            self.counters.catchUps.wrappingIncrement(by: after - before, ordering: .relaxed)
        }
        if after == 0, let started = self.state.value.catchUpStarted {
            self.state.value.catchUpStarted = nil
            self.logger.notice(
                "caught up from the history",
                metadata: ["wsb.ms": .stringConvertible((self.clock() - started).nanoseconds / 1_000_000)])
        }
        self.scheduleFetches()
    }

    private func deliverRecovery(_ ticket: UInt64, _ recovery: SessionRecovery) {
        guard let session = self.state.value.sessions.removeValue(forKey: ticket) else { return }
        if recovery.parts.contains(where: { !$0.entries.isEmpty || $0.gap != nil }) {
            self.counters.recoveries.wrappingIncrement(ordering: .relaxed)
        }
        let gaps = recovery.parts.reduce(0) { $0 + ($1.gap == nil ? 0 : 1) }
        if gaps > 0 {
            self.counters.sessionGaps.wrappingIncrement(by: gaps, ordering: .relaxed)
        }
        let entries = recovery.parts.reduce(0) { $0 + $1.entries.count }
        if entries > 0 {
            self.counters.recoveredMessages.wrappingIncrement(by: entries, ordering: .relaxed)
        }
        session.eventLoop.execute {
            session.value.takeRecovery(ticket, recovery)
        }
    }

    /// Sends what the tracker queued, once per tick.
    private func scheduleFetches() {
        guard !self.state.value.fetchesScheduled else { return }
        self.state.value.fetchesScheduled = true
        self.eventLoop.execute {
            self.state.value.fetchesScheduled = false
            self.perform(self.state.value.tracker.takeFetches())
        }
    }

    private func scheduleRetry() {
        guard !self.state.value.retryScheduled else { return }
        self.state.value.retryScheduled = true
        self.eventLoop.scheduleTask(in: self.retryDelay) {
            self.state.value.retryScheduled = false
            self.state.value.tracker.retry()
            self.scheduleFetches()
        }
    }
}
