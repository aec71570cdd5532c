import NIOCore
import NIOPosix
import WSBridgeAdmin
import WSBridgeBroker
import WSBridgeCore
import WSBridgeProtocol
import WSBridgeSystem

extension Daemon {
    /// Every counter and gauge, read from where it is counted: the shards (one visit to each event
    /// loop), the edge's, app link's and broker's atomics, and the process. Status and `/metrics` both
    /// render from this.
    ///
    /// Open descriptors are counted on NIO's thread pool: listing `/proc/self/fd` with 100,000
    /// clients takes milliseconds that no event loop should spend.
    public func metricsSnapshot() -> EventLoopFuture<MetricsSnapshot> {
        let registry = self.router.snapshot()
        let process = NIOThreadPool.singleton.runIfActive(eventLoop: registry.eventLoop) {
            (ProcessDescriptors.openCount(), ProcessUsage.current())
        }
        let streams = self.router.tracker?.snapshot().hop(to: registry.eventLoop)
            ?? registry.eventLoop.makeSucceededFuture((tracked: 0, catchingUp: 0, users: nil))
        return registry.and(process).and(streams).map { registryAndProcess, streams in
            let (registry, (openDescriptors, usage)) = registryAndProcess
            var snapshot = self.metricsSnapshot(registry)
            snapshot.openFileDescriptors = openDescriptors
            snapshot.processCPUSeconds = usage?.cpuSeconds
            snapshot.processResidentBytes = usage?.residentBytes
            snapshot.processVirtualBytes = usage?.virtualBytes
            snapshot.streamsTracked = streams.tracked
            if let users = streams.users {
                snapshot.users = users  // each user once, however many event loops hold a session
            }
            return snapshot
        }
    }

    /// The `/metrics` body.
    func renderMetrics() -> EventLoopFuture<ByteBuffer> {
        self.metricsSnapshot().map { snapshot in
            self.metrics.render(snapshot)
        }
    }

    func metricsSnapshot(_ registry: RegistrySnapshot) -> MetricsSnapshot {
        let edge = self.edge.counters
        let app = self.appLink.counters
        var s = MetricsSnapshot()
        s.node = self.configuration.nodeID
        s.version = WSBridgeVersion.string
        s.startTimeSeconds = self.startedAtWallClock

        s.webSocketPath = self.configuration.wsPath
        s.openWebSockets = edge.openWebSockets.load(ordering: .relaxed)
        s.eventStreamPath = self.configuration.ssePath
        s.openEventStreams = edge.openEventStreams.load(ordering: .relaxed)
        s.eventStreamConnects = edge.eventStreamConnects.load(ordering: .relaxed)
        s.openTCPConnections = edge.openConnections.load(ordering: .relaxed)
        s.sessions = registry.sessions
        s.users = registry.usersAcrossShards
        s.connects = edge.upgrades.load(ordering: .relaxed)
        s.disconnects = Self.table(CloseCode.disconnectLabels) { registry.disconnects(label: $0) }
        s.authRefusals = Self.table(RefusalKind.allCases.map(\.rawValue)) { label in
            RefusalKind(rawValue: label).map(registry.refusals) ?? 0
        }
        s.clientMessages = edge.clientMessages.load(ordering: .relaxed)
        s.unroutedClientMessages = app.unroutedClientMessages.load(ordering: .relaxed)
        s.deflateConnects = edge.deflateUpgrades.load(ordering: .relaxed)
        s.deflatedMessages = edge.deflatedMessages.load(ordering: .relaxed)
        s.inflatedMessages = edge.inflatedMessages.load(ordering: .relaxed)
        s.deflateBytesUncompressed = edge.deflateBytesIn.load(ordering: .relaxed)
        s.deflateBytesCompressed = edge.deflateBytesOut.load(ordering: .relaxed)
        s.deliveries = Self.table(DeliverySource.allCases.map(\.rawValue)) { label in
            DeliverySource(rawValue: label).map(registry.deliveries) ?? 0
        }
        s.flushes = registry.flushes
        s.limitHits = Self.table(LimitKind.allCases.map(\.rawValue)) { label in
            LimitKind(rawValue: label).map(registry.limitHits) ?? 0
        }
        s.outboundQueueHighWater = registry.outboundQueueHighWater
        s.outboundQueueLargest = registry.outboundQueueLargest

        s.brokerKind = self.broker is EmbeddedBroker ? "embedded" : self.broker is RedisClusterBroker ? "redis-cluster" : "redis"
        s.brokerUp = self.broker.isLinked
        s.brokerReconnects = (self.broker as? any RedisBackedBroker)?.reconnectCount ?? 0
        s.brokerHealthTimeouts = (self.broker as? any RedisBackedBroker)?.healthTimeoutCount ?? 0
        s.brokerUserChannels = (self.broker as? any RedisBackedBroker)?.userChannelCount ?? 0
        s.brokerUserSubscriptionCommands = (self.broker as? any RedisBackedBroker)?.userSubscriptionCommandCount ?? 0
        s.brokerMessagesIn = self.brokerTraffic.received.load(ordering: .relaxed)
        s.brokerMessagesOut = self.brokerTraffic.published.load(ordering: .relaxed)
        s.brokerPublishFailures = self.brokerTraffic.publishFailures.load(ordering: .relaxed)
        s.invalidChannelMessages = registry.invalidMessages
        if let redis = self.broker as? any RedisBackedBroker {
            s.brokerDurable = redis.isDurable
            s.brokerProbeMisses = redis.probeMissCount
            s.brokerProbeRoundTripSeconds = Double(redis.lastProbeRoundTrip.nanoseconds) / 1e9
        } else {
            s.brokerDurable = self.router.tracker != nil
        }
        if let embedded = self.broker as? EmbeddedBroker {
            s.embeddedHistoryStreams = embedded.historyStreams
            s.embeddedHistoryMessages = embedded.historyMessages
        }
        if let history = self.router.tracker?.counters {
            s.historyCatchUps = history.catchUps.load(ordering: .relaxed)
            s.historyRecoveredMessages = history.recoveredMessages.load(ordering: .relaxed)
            s.historyRecoveries = history.recoveries.load(ordering: .relaxed)
            s.historySessionGaps = history.sessionGaps.load(ordering: .relaxed)
            s.historyFetches = history.fetches.load(ordering: .relaxed)
            s.historyFetchFailures = history.fetchFailures.load(ordering: .relaxed)
        }
        let counters = self.router.tracker?.counters
        s.historyGaps = Self.table(StreamGap.Reason.allCases.map(\.rawValue)) { label in
            StreamGap.Reason(rawValue: label).map { counters?.gaps($0) ?? 0 } ?? 0
        }

        let presence = self.presence.counters
        s.presenceQueries = presence.queries.load(ordering: .relaxed)
        s.presenceQueryFailures = presence.queryFailures.load(ordering: .relaxed)
        s.presenceQueriedUsers = presence.queriedUsers.load(ordering: .relaxed)
        s.presenceWrites = presence.writes.load(ordering: .relaxed)
        s.presenceWriteFailures = presence.writeFailures.load(ordering: .relaxed)
        s.presenceEvents = presence.events.load(ordering: .relaxed)
        let receipts = self.receipts.counters
        s.receiptsCompleted = receipts.completed.load(ordering: .relaxed)
        s.receiptsTimedOut = receipts.timedOut.load(ordering: .relaxed)
        s.receiptUnknownHosts = receipts.unknownHosts.load(ordering: .relaxed)
        s.receiptReportsIn = receipts.reportsReceived.load(ordering: .relaxed)
        s.receiptReportsOut = receipts.reportsSent.load(ordering: .relaxed)

        s.appsAttached = app.appsAttached.load(ordering: .relaxed)
        s.appAttaches = app.attaches.load(ordering: .relaxed)
        s.appFramesIn = app.framesIn.load(ordering: .relaxed)
        s.appFramesOut = app.framesOut.load(ordering: .relaxed)
        let errors = app.errorsByCode
        s.appErrors = Self.table(AppProtocolError.Code.allVersion1.map(\.rawValue)) { errors[$0] ?? 0 }
            .merging(errors) { _, counted in counted }
        s.appSlowConsumerDisconnects = app.slowConsumerDisconnects.load(ordering: .relaxed)
        s.appRefusedPeers = app.refusedPeers.load(ordering: .relaxed)

        s.maxFileDescriptors = ProcessDescriptors.softLimit()
        return s
    }

    /// Every label of `labels` with its count (zero included), so each series exists from the start.
    private static func table(_ labels: [String], _ count: (String) -> Int) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: labels.map { ($0, count($0)) })
    }
}
