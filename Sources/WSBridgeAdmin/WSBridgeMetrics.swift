import CoreMetrics
import NIOConcurrencyHelpers
import NIOCore
import Prometheus

/// The `/metrics` exposition, rendered by swift-prometheus.
///
/// One design throughout: every number is counted once, where it happens, in the cheapest form for
/// that place (plain integers confined to an event loop, relaxed atomics), and that count is the only
/// record. `wsbridge status` and `/metrics` both read it through a ``MetricsSnapshot``. At each scrape
/// ``render(_:)`` carries the snapshot into the Prometheus registry (counters are set to the snapshot's
/// totals, gauges to its values) and has the registry write the text format.
///
/// The one exception is the delivery latency histogram, which has no total to read later: the shards
/// record into it through the swift-metrics ``deliveryLatency`` timer, once per message per event loop
/// (never per recipient), and the registry keeps the buckets.
public final class WSBridgeMetrics: Sendable {
    /// The registry the exposition comes from.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics timer behind `wsbridge_delivery_latency_seconds`.
    public let deliveryLatency: CoreMetrics.Timer
    /// Serializes scrapes: a counter is reset and raised to its total, then emitted, under one lock.
    private let scrapeLock = NIOLock()

    /// Upper bounds of the latency buckets: from 50 µs (a message routed on the loop that holds its
    /// recipients) to 5 s (a loop stalled by something).
    public static let latencyBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5),
    ]

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let info = MetricInfo.deliveryLatency
        let histogram = registry.makeDurationHistogram(descriptor: info.descriptor, labels: [], buckets: Self.latencyBuckets)
        self.deliveryLatency = CoreMetrics.Timer(
            label: info.name, dimensions: [], handler: histogram, factory: PrometheusMetricsFactory(registry: registry)
        )
    }

    /// The text exposition of `snapshot` plus the latency histogram.
    public func render(_ snapshot: MetricsSnapshot) -> ByteBuffer {
        self.scrapeLock.withLock {
            self.apply(snapshot)
            return ByteBuffer(bytes: self.registry.emitToBuffer())
        }
    }

    private func apply(_ s: MetricsSnapshot) {
        self.set(.buildInfo, [("version", s.version), ("node", s.node)], 1)
        self.set(.startTime, [], s.startTimeSeconds)
        self.set(.processStartTime, [], s.startTimeSeconds)
        if let open = s.openFileDescriptors {
            self.set(.openFDs, [], Double(open))
            self.set(.processOpenFDs, [], Double(open))
        }
        if let max = s.maxFileDescriptors {
            self.set(.maxFDs, [], Double(max))
            self.set(.processMaxFDs, [], Double(max))
        }
        if let cpu = s.processCPUSeconds {
            let counter = self.registry.makeCounter(descriptor: MetricInfo.processCPU.descriptor, labels: [])
            counter.reset()
            counter.increment(by: cpu)
        }
        if let resident = s.processResidentBytes { self.set(.processResident, [], Double(resident)) }
        if let virtual = s.processVirtualBytes { self.set(.processVirtual, [], Double(virtual)) }

        self.set(.connectionsOpen, [("path", s.webSocketPath)], Double(s.openWebSockets))
        if let path = s.eventStreamPath {
            self.set(.connectionsOpen, [("path", path)], Double(s.openEventStreams))
        }
        self.count(.eventStreamConnects, [], s.eventStreamConnects)
        self.set(.tcpConnectionsOpen, [], Double(s.openTCPConnections))
        self.set(.sessions, [], Double(s.sessions))
        self.set(.users, [], Double(s.users))
        self.count(.connects, [], s.connects)
        self.count(.disconnects, s.disconnects)
        self.count(.authRefusals, s.authRefusals)
        self.count(.clientMessages, [], s.clientMessages)
        self.count(.unroutedClientMessages, [], s.unroutedClientMessages)
        self.count(.deflateConnects, [], s.deflateConnects)
        self.count(.deflateMessages, ["out": s.deflatedMessages, "in": s.inflatedMessages])
        self.count(.deflateBytes, ["uncompressed": s.deflateBytesUncompressed, "compressed": s.deflateBytesCompressed])
        self.count(.deliveries, s.deliveries)
        self.count(.flushes, [], s.flushes)
        self.count(.limitHits, s.limitHits)
        self.set(.queueHighWater, [], Double(s.outboundQueueHighWater))
        self.set(.queueLargest, [], Double(s.outboundQueueLargest))

        self.set(.brokerUp, [("broker", s.brokerKind)], s.brokerUp ? 1 : 0)
        self.count(.brokerReconnects, [], s.brokerReconnects)
        self.count(.brokerHealthTimeouts, [], s.brokerHealthTimeouts)
        self.set(.brokerUserChannels, [], Double(s.brokerUserChannels))
        self.count(.brokerUserSubscriptionCommands, [], s.brokerUserSubscriptionCommands)
        self.count(.brokerMessages, ["in": s.brokerMessagesIn, "out": s.brokerMessagesOut])
        self.count(.brokerPublishFailures, [], s.brokerPublishFailures)
        self.count(.invalidChannelMessages, [], s.invalidChannelMessages)
        self.set(.brokerDurable, [], s.brokerDurable ? 1 : 0)
        self.count(.brokerProbeMisses, [], s.brokerProbeMisses)
        self.set(.brokerProbeRoundTrip, [], s.brokerProbeRoundTripSeconds)

        self.set(.streamsTracked, [], Double(s.streamsTracked))
        self.set(.embeddedHistoryStreams, [], Double(s.embeddedHistoryStreams))
        self.set(.embeddedHistoryMessages, [], Double(s.embeddedHistoryMessages))
        self.count(.historyCatchUps, [], s.historyCatchUps)
        self.count(.historyRecovered, [], s.historyRecoveredMessages)
        self.count(.historyRecoveries, [], s.historyRecoveries)
        self.count(.historyGaps, s.historyGaps)
        self.count(.historySessionGaps, [], s.historySessionGaps)
        self.count(.historyFetches, ["ok": s.historyFetches - s.historyFetchFailures, "failed": s.historyFetchFailures])

        self.count(.presenceQueries, ["ok": s.presenceQueries - s.presenceQueryFailures, "failed": s.presenceQueryFailures])
        self.count(.presenceQueriedUsers, [], s.presenceQueriedUsers)
        self.count(.presenceWrites, ["ok": s.presenceWrites - s.presenceWriteFailures, "failed": s.presenceWriteFailures])
        self.count(.presenceEvents, [], s.presenceEvents)
        self.count(.receipts, ["complete": s.receiptsCompleted, "window": s.receiptsTimedOut])
        self.count(.receiptUnknownHosts, [], s.receiptUnknownHosts)
        self.count(.receiptReports, ["in": s.receiptReportsIn, "out": s.receiptReportsOut])

        self.set(.appsAttached, [], Double(s.appsAttached))
        self.count(.appAttaches, [], s.appAttaches)
        self.count(.appFrames, ["in": s.appFramesIn, "out": s.appFramesOut])
        self.count(.appErrors, s.appErrors)
        self.count(.appSlowConsumers, [], s.appSlowConsumerDisconnects)
        self.count(.appRefusedPeers, [], s.appRefusedPeers)
    }

    private func set(_ info: MetricInfo, _ labels: [(String, String)], _ value: Double) {
        self.registry.makeGauge(descriptor: info.descriptor, labels: labels).set(to: value)
    }

    /// A counter family with one label: one series per key of `values`.
    private func count(_ info: MetricInfo, _ values: [String: Int]) {
        guard let label = info.labels.first else { return }
        for (value, total) in values {
            self.count(info, [(label, value)], total)
        }
    }

    private func count(_ info: MetricInfo, _ labels: [(String, String)], _ total: Int) {
        let counter = self.registry.makeCounter(descriptor: info.descriptor, labels: labels)
        counter.reset()
        counter.increment(by: Int64(max(0, total)))
    }
}
