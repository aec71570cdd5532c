import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The broker on a Redis Cluster (`redis_cluster`): the same channel as ``RedisBroker`` — every host
/// `SUBSCRIBE`s to it on any node, and a `PUBLISH` on any node reaches them all — with durable
/// publishing through the function library loaded on every master, each call on the master of its
/// stream's slot (see ``RedisClusterCore`` and docs/scaling.md).
///
/// - The topology is discovered from the seed nodes (`CLUSTER SHARDS`, or `CLUSTER SLOTS` before Redis
///   7.0) and read again every `topologyRefresh`, after a redirect, and when a master's connection is
///   lost: a failover (a replica promoted) or a reshard is followed within a round trip of Redis
///   reporting it.
/// - The subscription is on one node at a time. Lost, it is retried at once on the same node, then on
///   the next known node at each failed attempt, with the same backoff as ``RedisBroker``; the stream
///   tracker catches up from the history as after any lost subscription.
/// - ``isConnected`` and ``isDurable`` hold while every slot's master is linked (and has the library).
///   A publish whose master is not linked fails at once: nothing queues.
public final class RedisClusterBroker: RedisBackedBroker {
    public let displayName: String
    public let eventLoop: EventLoop

    private let counters = RedisBrokerCounters()
    /// The counters of every master connection made, for the sums.
    private let masterCounters = NIOLockedValueBox<[RedisBrokerCounters]>([])
    private let core: NIOLoopBoundBox<RedisClusterCore>

    /// - Parameters:
    ///   - seeds: some nodes of the cluster (any role); their credentials are used for every node.
    ///   - topologyRefresh: how often the topology is read again when nothing else asked for it.
    ///   - The others: as for ``RedisBroker``.
    public init(
        seeds: [RedisConnectionTarget],
        channel: String,
        library: RedisFunctionLibrary? = nil,
        libraryPolicy: RedisLibraryPolicy = .replace,
        eventLoopGroup: EventLoopGroup,
        reconnectMax: TimeAmount = .milliseconds(250),
        connectTimeout: TimeAmount = .seconds(2),
        healthInterval: TimeAmount? = .seconds(5),
        connectSummaryInterval: TimeAmount = .seconds(30),
        probe: RedisBroker.Probe? = nil,
        subscribes: Bool = true,
        sideChannels: [String] = [],
        topologyRefresh: TimeAmount = .seconds(5),
        logger: Logger
    ) {
        precondition(!seeds.isEmpty, "a Redis Cluster broker needs at least one seed node")
        let display = Self.displayName(seeds)
        var logger = logger
        logger[metadataKey: "wsb.redis"] = "\(display)"
        logger[metadataKey: "wsb.redis_channel"] = "\(channel)"
        self.displayName = display
        self.eventLoop = eventLoopGroup.next()
        let common = RedisBrokerCore.Settings(
            target: seeds[0], channel: channel, library: library,
            libraryPolicy: libraryPolicy == .replace ? .replace : .loadIfAbsent, reconnectMax: reconnectMax,
            connectTimeout: connectTimeout, healthInterval: healthInterval, connectSummaryInterval: connectSummaryInterval,
            probe: probe, subscribes: subscribes, sideChannels: sideChannels, logger: logger)
        let settings = RedisClusterCore.Settings(common: common, seeds: seeds, topologyRefresh: topologyRefresh)
        let registry = self.masterCounters
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            RedisClusterCore(
                settings: settings, eventLoop: self.eventLoop, counters: self.counters,
                registerCounters: { counters in registry.withLockedValue { $0.append(counters) } }),
            eventLoop: self.eventLoop)
    }

    /// `redis-cluster://host1:port1,host2:port2` (users shown, passwords never).
    static func displayName(_ seeds: [RedisConnectionTarget]) -> String {
        let user = seeds[0].username.map { "\($0)@" } ?? ""
        let nodes = seeds.map { seed -> String in
            switch seed.address {
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): path
            }
        }
        return "redis-cluster://\(user)" + nodes.joined(separator: ",")
    }

    public var isLinked: Bool { self.counters.isLinked.load(ordering: .acquiring) }

    public var isHealthy: Bool { self.counters.isHealthy }

    public var unhealthyReason: String? { self.counters.unhealthyReason }

    public var isConnected: Bool { self.counters.publisherLinked.load(ordering: .acquiring) }

    public var isDurable: Bool { self.counters.hasLibrary.load(ordering: .relaxed) }

    public var connectFailure: String? {
        self.isConnected ? nil : self.counters.lastAttemptFailure.withLockedValue { $0 }
    }

    public var reconnectCount: Int {
        self.counters.reconnects.load(ordering: .relaxed) + self.sum(\.reconnects)
    }

    public var healthTimeoutCount: Int {
        self.counters.healthTimeouts.load(ordering: .relaxed) + self.sum(\.healthTimeouts)
    }

    public var probeMissCount: Int { self.counters.probeMisses.load(ordering: .relaxed) }

    public var userChannelCount: Int { self.counters.userChannels.load(ordering: .relaxed) }

    public var userSubscriptionCommandCount: Int { self.counters.userSubscriptionCommands.load(ordering: .relaxed) }

    public var lastProbeRoundTrip: TimeAmount { .nanoseconds(self.counters.lastProbeRoundTrip.load(ordering: .relaxed)) }

    private func sum(_ counter: KeyPath<RedisBrokerCounters, ManagedAtomic<Int>>) -> Int {
        self.masterCounters.withLockedValue { all in all.reduce(0) { $0 + $1[keyPath: counter].load(ordering: .relaxed) } }
    }

    /// The topology as last read (nil before the first read).
    public var topology: EventLoopFuture<ClusterTopology?> {
        self.eventLoop.submit { self.core.value.topology }
    }

    public func start(handler: BrokerHandler) {
        self.eventLoop.execute {
            self.core.value.start(handler: handler)
        }
    }

    public func publish(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        self.onLoop { $0.publish(message) }
    }

    /// Publishes with plain `PUBLISH` (best effort, no history).
    public func publishBestEffort(_ message: ByteBuffer) -> EventLoopFuture<PublishReceipt> {
        self.onLoop { $0.publishBestEffort(message) }
    }

    public func history(_ queries: [HistoryQuery]) -> EventLoopFuture<[HistorySlice]> {
        self.onLoop { $0.history(queries) }
    }

    public func send(_ command: RedisCommand, key: String?) -> EventLoopFuture<RESPValue> {
        self.onLoop { $0.send(command, key: key) }
    }

    public func route(added: [String], removed: [String]) {
        self.eventLoop.execute {
            self.core.value.route(added: added, removed: removed)
        }
    }

    /// Succeeds once every slot's master is linked; fails when an attempt to reach the cluster fails first,
    /// or after `timeout`. For a one-shot tool.
    public func linkedOrFailed(within timeout: TimeAmount) -> EventLoopFuture<Void> {
        self.onLoop { $0.linkedOrFailed(within: timeout) }
    }

    /// Reads the topology again now (tests, tools); the future completes once it is applied.
    public func refreshTopology() -> EventLoopFuture<Void> {
        self.onLoop { $0.refresh() }
    }

    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.flatSubmit { self.core.value.shutdown() }
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (RedisClusterCore) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if self.eventLoop.inEventLoop {
            return body(self.core.value)
        }
        return self.eventLoop.flatSubmit { body(self.core.value) }
    }
}
