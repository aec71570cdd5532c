import Logging
import NIOCore

/// The loop-confined part of ``RedisClusterBroker``: the topology, a command connection per master, the
/// control connection that reads the topology, and the subscription. Not `Sendable`.
///
/// ```
///  control connection (any node) ── CLUSTER SHARDS ─▶ topology ─▶ one RedisPublisher per master
///                                                                  (AUTH, PING, the function library)
///  subscriber (any node; moves on to another when its node stays away) ── SUBSCRIBE channel probe …
/// ```
///
/// The topology is read when the control connection links, every `topologyRefresh`, and at once when a
/// command is redirected (`MOVED`) or a master's connection is lost; a master that left is disconnected,
/// a new one (a promoted replica) connected and given the library.
final class RedisClusterCore {
    /// The one-server broker's settings (its `target`: the first seed), the seeds, and how often the
    /// topology is read when nothing else asks for it.
    @dynamicMemberLookup
    struct Settings {
        var common: RedisBrokerCore.Settings
        var seeds: [RedisConnectionTarget]
        var topologyRefresh: TimeAmount

        subscript<Value>(dynamicMember path: KeyPath<RedisBrokerCore.Settings, Value>) -> Value {
            self.common[keyPath: path]
        }
    }

    let settings: Settings
    let eventLoop: EventLoop
    let counters: RedisBrokerCounters
    /// Every master connection's counters, as the broker sums them.
    private let registerCounters: (RedisBrokerCounters) -> Void
    private(set) var topology: ClusterTopology?
    /// Where the control connection and the subscription may go: the seeds, then every node of the
    /// topology.
    private var nodes: [RedisConnectionTarget.Address]
    private var control: RedisPublisher?
    private var controlNode = 0
    private(set) var masters: [String: RedisPublisher] = [:]
    private var subscriber: RedisSubscriber?
    private var subscriberNode = 0
    private var probe: RedisProbeDriver?
    private var refreshTask: RepeatedTask?
    private var refreshing: EventLoopFuture<Void>?
    /// A read of the topology due soon: while a slot has no linked master (a failover under way), the
    /// topology is read every ``degradedRefresh`` until it names one.
    private var refreshSoon: Scheduled<Void>?
    static let degradedRefresh = TimeAmount.milliseconds(250)
    /// One-shot tools waiting for every master to link, or for the first failed attempt to reach one.
    private let linkWaiters: LinkWaiters
    private(set) var isShutDown = false
    /// Per-user routing: the users' sharded subscriptions, one connection per master that holds some.
    var sharded: ShardedSubscriptions?
    var shardLinks: [ClusterNode: RedisShardedLink] = [:]
    var shardLinkGeneration = 0
    var shardedFlushScheduled = false
    var shardedRetry: Scheduled<Void>?
    private(set) var handler: BrokerHandler?

    init(settings: Settings, eventLoop: EventLoop, counters: RedisBrokerCounters, registerCounters: @escaping (RedisBrokerCounters) -> Void) {
        self.settings = settings
        self.eventLoop = eventLoop
        self.counters = counters
        self.registerCounters = registerCounters
        self.nodes = settings.seeds.map(\.address)
        self.linkWaiters = LinkWaiters(eventLoop: eventLoop)
        if settings.library?.perUserRouting == true, settings.subscribes {
            self.sharded = ShardedSubscriptions(maxChannelsPerCommand: RedisHandshake.shardedBatch)
        }
    }

    /// The settings of a connection to `node`: the seeds' credentials, database 0.
    func connection(to address: RedisConnectionTarget.Address, logger: Logger) -> RedisConnectionSettings {
        var target = self.settings.seeds[0]
        target.address = address
        target.database = 0
        return RedisConnectionSettings(
            target: target, eventLoop: self.eventLoop, connectTimeout: self.settings.connectTimeout,
            healthInterval: self.settings.healthInterval, backoff: ReconnectBackoff(cap: self.settings.reconnectMax),
            summaryInterval: self.settings.connectSummaryInterval, logger: logger)
    }

    /// A connection that goes from node to node: the first retry goes where the last link was, each
    /// failed attempt after it to the next known node.
    private func roaming(_ index: ReferenceWritableKeyPath<RedisClusterCore, Int>, logger: Logger) -> RedisConnectionSettings {
        var settings = self.connection(to: self.nodes[0], logger: logger)
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        settings.address = { failed in
            let core = loopBound.value
            if failed > 0 {
                core[keyPath: index] = (core[keyPath: index] + 1) % core.nodes.count
            }
            return core.nodes[core[keyPath: index] % core.nodes.count]
        }
        return settings
    }

    func start(handler: BrokerHandler) {
        guard !self.isShutDown, self.control == nil else { return }
        self.handler = handler
        self.settings.logger.info("Starting Redis Cluster broker")
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        var controlLogger = self.settings.logger
        controlLogger[metadataKey: "wsb.redis_role"] = "topology"
        let controlCounters = RedisBrokerCounters()
        let control = RedisPublisher(
            self.roaming(\.controlNode, logger: controlLogger), channel: self.settings.channel, library: nil, counters: controlCounters)
        control.onStatusChange = {
            let core = loopBound.value
            if control.isConnected {
                core.refresh()
            }
        }
        control.onAttemptFailed = { cause in
            let core = loopBound.value
            core.counters.lastAttemptFailure.withLockedValue { $0 = cause }
            core.settleLinkWaiters(.failure(RedisBrokerError.connectFailed(cause)))
        }
        self.control = control
        if self.settings.subscribes {
            self.startSubscriber(handler: handler)
        }
        control.start()
        self.refreshTask = self.eventLoop.scheduleRepeatedTask(
            initialDelay: self.settings.topologyRefresh, delay: self.settings.topologyRefresh
        ) { _ in
            _ = loopBound.value.refresh()
        }
    }

    private func startSubscriber(handler: BrokerHandler) {
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let probeChannel = self.settings.probe?.channel
        let subscriber = RedisSubscriber(
            self.roaming(\.subscriberNode, logger: self.settings.logger),
            channel: self.settings.channel,
            sideChannels: (probeChannel.map { [$0] } ?? []) + self.settings.sideChannels,
            counters: self.counters,
            handler: handler,
            sideReceived: { channel, payload in
                if channel == probeChannel {
                    loopBound.value.probe?.received(payload)
                } else {
                    handler.sideReceived(channel, payload)
                }
            }
        )
        self.subscriber = subscriber
        subscriber.start()
        if let settings = self.settings.probe {
            // PUBLISH counts the subscribers of the node it is sent to only: a probe passes when it comes back.
            let probe = RedisProbeDriver(
                interval: settings.interval, repliesCountSubscribers: false, eventLoop: self.eventLoop, counters: self.counters,
                logger: self.settings.logger)
            probe.hooks = RedisProbeDriver.Hooks(
                isLinked: { subscriber.isLinked && loopBound.value.anyLinkedMaster() != nil },
                publish: { token in loopBound.value.anyLinkedMaster()?.send(.publish(channel: settings.channel, message: token)) },
                rebuild: { loss in subscriber.restart(because: loss) })
            self.probe = probe
            probe.start()
        }
    }

    // MARK: Topology

    /// Reads the topology on the control connection and applies it; one read at a time.
    @discardableResult
    func refresh() -> EventLoopFuture<Void> {
        if let refreshing = self.refreshing { return refreshing }
        guard !self.isShutDown, let control = self.control, control.isConnected else {
            return self.eventLoop.makeFailedFuture(RedisBrokerError.notConnected)
        }
        let host = control.connectedHost ?? "127.0.0.1"
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let boundControl = NIOLoopBound(control, eventLoop: self.eventLoop)
        let read = control.send(RedisCommand("CLUSTER", "SHARDS")).flatMap { reply -> EventLoopFuture<ClusterTopology> in
            if case .error = reply {
                // Before Redis 7.0: CLUSTER SLOTS.
                return boundControl.value.send(RedisCommand("CLUSTER", "SLOTS")).flatMapThrowing { reply in
                    try ClusterTopology(slotsReply: reply, askedHost: host)
                }
            }
            return loopBound.value.eventLoop.makeCompletedFuture { try ClusterTopology(shardsReply: reply, askedHost: host) }
        }
        let applied = read.map { topology in
            loopBound.value.apply(topology)
        }
        // Set before the callback is added: a read that failed at once runs it right away.
        self.refreshing = applied
        applied.whenComplete { result in
            let core = loopBound.value
            core.refreshing = nil
            if case .failure(let error) = result {
                core.settings.logger.warning("cannot read the Redis Cluster topology", metadata: ["wsb.error": "\(error)"])
            }
        }
        return applied
    }

    private func apply(_ topology: ClusterTopology) {
        guard !self.isShutDown else { return }
        if topology != self.topology {
            self.settings.logger.info(
                "Redis Cluster topology",
                metadata: [
                    "wsb.masters": "\(topology.masters.map(\.address).joined(separator: ","))",
                    "wsb.slots_covered": .stringConvertible(topology.coveredSlotCount),
                ])
        }
        self.topology = topology
        var known = self.settings.seeds.map(\.address)
        for shard in topology.shards {
            for node in [shard.master] + shard.replicas {
                let address = RedisConnectionTarget.Address.tcp(host: node.host, port: node.port)
                if !known.contains(address) { known.append(address) }
            }
        }
        self.nodes = known
        let wanted = Set(topology.masters.map(\.address))
        for (address, link) in self.masters where !wanted.contains(address) {
            self.settings.logger.info("Redis Cluster master left: disconnecting", metadata: ["wsb.redis_node": "\(address)"])
            _ = link.stop()
            self.masters[address] = nil
        }
        for master in topology.masters where self.masters[master.address] == nil {
            self.connectMaster(master)
        }
        self.updateLinkState()
        self.shardedTopologyChanged(topology)
    }

    private func connectMaster(_ master: ClusterNode) {
        var logger = self.settings.logger
        logger[metadataKey: "wsb.redis_node"] = "\(master.address)"
        let counters = RedisBrokerCounters()
        self.registerCounters(counters)
        let link = RedisPublisher(
            self.connection(to: .tcp(host: master.host, port: master.port), logger: logger), channel: self.settings.channel,
            library: self.settings.library, libraryPolicy: self.settings.libraryPolicy, counters: counters)
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        var wasConnected = false
        link.onStatusChange = {
            let core = loopBound.value
            core.updateLinkState()
            if link.isConnected {
                wasConnected = true
            } else if wasConnected {
                wasConnected = false
                // A master that went away may have been replaced: find out now. And remake the
                // subscription, so that every stream catches up (holding what arrives) once every slot
                // has a master again: a promoted replica may give out again the offsets of writes it
                // never received, which only a catch-up notices (a `history_lost` gap).
                core.refresh()
                core.subscriber?.restart(because: .clusterMasterLost(master.address))
            }
        }
        self.masters[master.address] = link
        link.start()
    }

    private func scheduleRefreshSoon() {
        guard self.refreshSoon == nil, !self.isShutDown else { return }
        let loopBound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.refreshSoon = self.eventLoop.scheduleTask(in: Self.degradedRefresh) {
            let core = loopBound.value
            core.refreshSoon = nil
            core.refresh().whenComplete { _ in
                // Still without a master for some slots: read again soon.
                loopBound.value.updateLinkState()
            }
        }
    }

    /// The broker's command side is linked when every slot's master is; durable when every master has the
    /// library.
    private func updateLinkState() {
        guard let topology = self.topology, topology.coversAllSlots else {
            self.counters.publisherLinked.store(false, ordering: .releasing)
            self.counters.hasLibrary.store(false, ordering: .relaxed)
            if self.topology != nil { self.scheduleRefreshSoon() }
            return
        }
        let links = topology.masters.map { self.masters[$0.address] }
        let linked = links.allSatisfy { $0?.isConnected == true }
        if !linked {
            self.scheduleRefreshSoon()
        }
        self.counters.publisherLinked.store(linked, ordering: .releasing)
        self.counters.hasLibrary.store(linked && links.allSatisfy { $0?.hasLibrary == true }, ordering: .relaxed)
        if linked {
            self.counters.lastAttemptFailure.withLockedValue { $0 = nil }
            self.settleLinkWaiters(.success(()))
        }
    }

    /// Succeeds once every slot's master is linked (at once if they are); fails with
    /// ``RedisBrokerError/connectFailed(_:)`` when an attempt to reach the cluster fails first, with
    /// ``RedisBrokerError/notConnected`` after `timeout`. For a one-shot tool.
    func linkedOrFailed(within timeout: TimeAmount) -> EventLoopFuture<Void> {
        if self.counters.publisherLinked.load(ordering: .acquiring) {
            return self.eventLoop.makeSucceededVoidFuture()
        }
        return self.linkWaiters.wait(within: timeout)
    }

    private func settleLinkWaiters(_ result: Result<Void, any Error>) {
        self.linkWaiters.settle(result)
    }

    /// The connection to the master of `key`'s slot, if it is linked.
    func master(forKey key: String) -> RedisPublisher? {
        guard let node = self.topology?.master(forKey: key), let link = self.masters[node.address], link.isConnected else {
            return nil
        }
        return link
    }

    /// The connection to the node at `host:port`, if it is a master we hold and it is linked.
    func master(at address: String) -> RedisPublisher? {
        guard let link = self.masters[address], link.isConnected else { return nil }
        return link
    }

    /// Any linked master, the same one while it stays linked (the first in address order).
    func anyLinkedMaster() -> RedisPublisher? {
        self.masters.sorted { $0.key < $1.key }.first { $0.value.isConnected }?.value
    }

    /// Stops every connection: no reconnects, pending commands fail, no `received` afterwards.
    func shutdown() -> EventLoopFuture<Void> {
        guard !self.isShutDown else { return self.eventLoop.makeSucceededVoidFuture() }
        self.isShutDown = true
        self.settleLinkWaiters(.failure(RedisBrokerError.shutDown))
        self.refreshTask?.cancel()
        self.refreshTask = nil
        self.refreshSoon?.cancel()
        self.refreshSoon = nil
        self.probe?.stop()
        self.shardedRetry?.cancel()
        self.shardedRetry = nil
        self.sharded = nil
        var closed = [self.subscriber?.stop(), self.control?.stop()].compactMap { $0 }
        closed += self.masters.values.map { $0.stop() }
        closed += self.shardLinks.values.map { $0.stop() }
        self.masters = [:]
        self.shardLinks = [:]
        self.settings.logger.info("Redis Cluster broker shut down")
        return EventLoopFuture.andAllComplete(closed, on: self.eventLoop)
    }
}

@available(*, unavailable)
extension RedisClusterCore: Sendable {}
