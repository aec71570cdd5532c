import Atomics
import CoreMetrics
import Logging
import NIOCore

/// Turns broker messages into deliveries and hands them to every shard.
///
/// Each message is parsed once and its frame encoded once, on the thread that received it; then each
/// shard gets the whole batch in one hop to its event loop (or none, when the batch already runs on that
/// loop). Thread safe: `route` may be called from any thread.
public final class Router: Sendable {
    private let shards: [ShardHandle]
    /// The node's stream tracker, when the broker keeps history: durable messages pass through it.
    public let tracker: StreamTrackerDriver?
    private let parser: EnvelopeParser
    private let logger: Logger
    private let invalidLog: RateLimitedLog
    private let invalidMessages = ManagedAtomic<Int>(0)
    private let routedMessages = ManagedAtomic<Int>(0)
    /// Told, once every shard counted a message whose publisher asked for a receipt, what it reached
    /// here; nil ignores receipt requests.
    private let receiptCounted: (@Sendable (ReceiptRequest, _ total: Int, _ users: [String: Int]) -> Void)?
    /// When a batch arrived: read once per ``route(_:source:)``.
    private let clock: @Sendable () -> NIODeadline

    /// One shard per event loop of `eventLoops`.
    ///
    /// - Parameters:
    ///   - deliveryLatency: where each shard records, once per message it wrote, the time from the
    ///     message's arrival at wsbridge to the flush that wrote it; `nil` records nothing.
    ///   - writeCoalesceWindow: how long each shard lets written deliveries wait for their flush
    ///     (`write_coalesce_window`); `.zero` flushes at the end of each batch.
    ///   - history: where the broker's history is read; nil when it keeps none (no stream tracker:
    ///     messages go straight to the shards, sessions get no positions).
    ///   - presence: where the shards count every session's arrival and departure (nil: nowhere).
    ///   - receiptCounted: gets, for each message that asks for a receipt (`wsr`), the sessions it was
    ///     written to here, once every shard counted them; nil ignores receipt requests.
    ///   - clock: the time a batch of broker messages arrived (their deliveries' `arrivedAt`, from which
    ///     the shards measure delivery latency on their loops' clocks), and the stream tracker's time.
    ///     The real clock by default, which every real event loop reads; tests with embedded loops pass
    ///     such a loop's `now`.
    public init(
        eventLoops: [EventLoop], parser: EnvelopeParser, logger: Logger, deliveryLatency: CoreMetrics.Timer? = nil,
        writeCoalesceWindow: TimeAmount = .zero, history: RouterHistory? = nil, presence: PresenceLedger? = nil,
        receiptCounted: (@Sendable (ReceiptRequest, _ total: Int, _ users: [String: Int]) -> Void)? = nil,
        clock: @escaping @Sendable () -> NIODeadline = { NIODeadline.now() }
    ) {
        let tracker = history.map { history in
            StreamTrackerDriver(
                eventLoop: history.eventLoop, tracker: StreamTracker(parser: parser), fetch: history.fetch,
                retryDelay: history.retryDelay, auditInterval: history.auditInterval, clock: clock, logger: logger,
                onGap: history.onGap)
        }
        let streamEvents = tracker?.shardEvents
        let shards = eventLoops.enumerated().map { index, loop in
            ShardHandle(
                Shard(
                    eventLoop: loop, index: index, deliveryLatency: deliveryLatency, writeCoalesceWindow: writeCoalesceWindow,
                    streamEvents: streamEvents, presence: presence),
                on: loop)
        }
        self.shards = shards
        self.tracker = tracker
        tracker?.connect(
            dispatch: { batch in Self.dispatch(batch, to: shards) },
            dispatchGap: { gap in
                // As deliveries go: at once on the tracker's own loop, so that a gap always reaches a
                // shard before the messages that follow it.
                for shard in shards {
                    if shard.eventLoop.inEventLoop {
                        shard.value.gap(gap)
                    } else {
                        shard.eventLoop.execute { shard.value.gap(gap) }
                    }
                }
            })
        self.receiptCounted = receiptCounted
        self.clock = clock
        self.parser = parser
        self.logger = logger
        self.invalidLog = RateLimitedLog()
    }

    /// The shard of `eventLoop`. Must be called on that loop.
    public func shard(for eventLoop: EventLoop) -> Shard {
        for shard in self.shards where shard.eventLoop === eventLoop {
            return shard.value
        }
        preconditionFailure("no shard for event loop \(eventLoop)")
    }

    /// The event loops that hold shards.
    public var eventLoops: [EventLoop] { self.shards.map(\.eventLoop) }

    /// Parses and delivers messages that arrived from a broker, in order.
    public func route(_ messages: [ByteBuffer], source: DeliverySource) {
        let now = self.clock()
        var batch: [Delivery] = []
        batch.reserveCapacity(messages.count)
        for message in messages {
            switch self.parser.parse(message) {
            case .success(let envelope):
                var delivery = Delivery(envelope: envelope, source: source, arrivedAt: now)
                if let request = envelope.receipt, let counted = self.receiptCounted {
                    let users: [String]?
                    switch envelope.target {
                    case .user(let user): users = [user]
                    case .users(let list): users = list
                    case .all: users = nil
                    }
                    delivery.tally = ReceiptTally(request: request, users: users, shards: self.shards.count, done: counted)
                }
                batch.append(delivery)
            case .failure(let error):
                self.countInvalid(error, message: message)
            }
        }
        guard !batch.isEmpty else { return }
        self.routedMessages.wrappingIncrement(by: batch.count, ordering: .relaxed)
        if let tracker = self.tracker {
            tracker.received(batch)
        } else {
            Self.dispatch(batch, to: self.shards)
        }
    }

    /// Hands already-built deliveries to every shard (not through the stream tracker).
    public func dispatch(_ batch: [Delivery]) {
        guard !batch.isEmpty else { return }
        self.routedMessages.wrappingIncrement(by: batch.count, ordering: .relaxed)
        Self.dispatch(batch, to: self.shards)
    }

    private static func dispatch(_ batch: [Delivery], to shards: [ShardHandle]) {
        guard !batch.isEmpty else { return }
        for shard in shards {
            if shard.eventLoop.inEventLoop {
                shard.value.deliver(batch)
            } else {
                shard.eventLoop.execute {
                    shard.value.deliver(batch)
                }
            }
        }
    }

    private func countInvalid(_ error: EnvelopeError, message: ByteBuffer) {
        let total = self.invalidMessages.wrappingIncrementThenLoad(ordering: .relaxed)
        self.invalidLog.log(
            "invalid message on the channel",
            level: .warning,
            metadata: [
                "wsb.code": "\(error.code.rawValue)",
                "wsb.error": "\(error.detail)",
                "wsb.bytes": .stringConvertible(message.readableBytes),
                "wsb.invalid_total": .stringConvertible(total),
            ],
            to: self.logger
        )
    }

    /// Messages on the channel that could not be parsed, since start.
    public var invalidMessageCount: Int { self.invalidMessages.load(ordering: .relaxed) }
    /// Messages routed to the shards, since start.
    public var routedMessageCount: Int { self.routedMessages.load(ordering: .relaxed) }

    /// Runs `body` on every shard's loop and collects the results.
    public func collect<T: Sendable>(_ body: @escaping @Sendable (Shard) -> T) -> EventLoopFuture<[T]> {
        let futures = self.shards.map { shard in
            shard.eventLoop.submit { body(shard.value) }
        }
        guard let first = futures.first else {
            preconditionFailure("a router has at least one shard")
        }
        return EventLoopFuture.whenAllSucceed(futures, on: first.eventLoop)
    }

    /// Sets the write-coalescing window of every shard, on each shard's loop (for a reload); the future
    /// succeeds once all have it.
    @discardableResult
    public func setWriteCoalesceWindow(_ window: TimeAmount) -> EventLoopFuture<Void> {
        self.collect { shard in shard.setWriteCoalesceWindow(window) }.map { _ in () }
    }

    /// A consistent-enough view of all shards for status and tests.
    public func snapshot() -> EventLoopFuture<RegistrySnapshot> {
        self.collect { shard in
            ShardSnapshot(sessions: shard.sessionCount, users: shard.userCount, counters: shard.counters)
        }.map { shards in
            RegistrySnapshot(shards: shards, invalidMessages: self.invalidMessageCount)
        }
    }
}

/// Where a router's stream tracker reads the history.
public struct RouterHistory: Sendable {
    /// The tracker's loop: the broker's, where messages arrive.
    public var eventLoop: EventLoop
    public var fetch: StreamTrackerDriver.Fetch
    /// How long to wait before a failed history read is tried again.
    public var retryDelay: TimeAmount
    /// How often every tracked stream's position is read again (nil: never).
    public var auditInterval: TimeAmount?
    /// Told of every gap the node finds.
    public var onGap: @Sendable (StreamGap) -> Void

    public init(
        eventLoop: EventLoop, fetch: @escaping StreamTrackerDriver.Fetch, retryDelay: TimeAmount = .milliseconds(250),
        auditInterval: TimeAmount?, onGap: @escaping @Sendable (StreamGap) -> Void = { _ in }
    ) {
        self.eventLoop = eventLoop
        self.fetch = fetch
        self.retryDelay = retryDelay
        self.auditInterval = auditInterval
        self.onGap = onGap
    }
}

/// One shard's counts at a moment.
public struct ShardSnapshot: Sendable {
    public var sessions: Int
    public var users: Int
    public var counters: ShardCounters
}

/// All shards' counts at (about) one moment.
public struct RegistrySnapshot: Sendable {
    public var shards: [ShardSnapshot]
    public var invalidMessages: Int

    public var sessions: Int { self.shards.reduce(0) { $0 + $1.sessions } }
    /// Users summed over shards: a user with sessions on two loops counts twice.
    public var usersAcrossShards: Int { self.shards.reduce(0) { $0 + $1.users } }
    public func deliveries(from source: DeliverySource) -> Int {
        self.shards.reduce(0) { $0 + ($1.counters.deliveries[source] ?? 0) }
    }
    /// Flushes the shards issued after writing deliveries.
    public var flushes: Int { self.shards.reduce(0) { $0 + $1.counters.flushes } }
    public func limitHits(_ limit: LimitKind) -> Int {
        self.shards.reduce(0) { $0 + ($1.counters.limitHits[limit] ?? 0) }
    }
    public func refusals(_ kind: RefusalKind) -> Int {
        self.shards.reduce(0) { $0 + ($1.counters.refusals[kind] ?? 0) }
    }
    /// Refused handshakes of every kind.
    public var refusals: Int { RefusalKind.allCases.reduce(0) { $0 + self.refusals($1) } }
    public func disconnects(label: String) -> Int {
        self.shards.reduce(0) { $0 + ($1.counters.disconnects[label] ?? 0) }
    }
    /// The outbound-queue high-water mark over all shards, since start.
    public var outboundQueueHighWater: Int { self.shards.map(\.counters.outboundQueueHighWater).max() ?? 0 }
    /// The largest outbound queue of one connection at the last heartbeat, over all shards.
    public var outboundQueueLargest: Int { self.shards.map(\.counters.outboundQueueLargest).max() ?? 0 }
}

/// A shard that may be passed between threads but is only ever touched on its own event loop: a
/// `NIOLoopBoundBox`, made off the loop by sending it the new shard (the router is built before the
/// loops run anything), whose `value` checks that the caller runs on that loop.
struct ShardHandle: Sendable {
    let eventLoop: EventLoop
    private let box: NIOLoopBoundBox<Shard>

    init(_ shard: sending Shard, on eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.box = NIOLoopBoundBox.makeBoxSendingValue(shard, eventLoop: eventLoop)
    }

    var value: Shard {
        self.box.value
    }
}
