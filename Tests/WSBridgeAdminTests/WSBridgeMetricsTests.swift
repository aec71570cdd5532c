import Foundation
import NIOCore
import XCTest

@testable import WSBridgeAdmin

final class WSBridgeMetricsTests: XCTestCase {
    private func snapshot() -> MetricsSnapshot {
        var s = MetricsSnapshot()
        s.node = "host-1"
        s.version = "1.2.3"
        s.startTimeSeconds = 1_700_000_000
        s.webSocketPath = "/ws"
        s.openWebSockets = 3
        s.openTCPConnections = 4
        s.sessions = 5
        s.users = 2
        s.connects = 10
        s.disconnects = ["1000": 6, "1006": 1, "other": 0]
        s.authRefusals = ["invalid_token": 2, "origin": 0]
        s.clientMessages = 42
        s.deliveries = ["redis": 7, "embedded": 0, "app": 1]
        s.flushes = 5
        s.limitHits = ["slow_consumer": 1, "max_connections": 0]
        s.outboundQueueHighWater = 262_144
        s.outboundQueueLargest = 1024
        s.brokerKind = "redis"
        s.brokerUp = true
        s.brokerReconnects = 2
        s.brokerHealthTimeouts = 3
        s.brokerMessagesIn = 9
        s.brokerMessagesOut = 4
        s.invalidChannelMessages = 1
        s.appsAttached = 1
        s.appAttaches = 3
        s.appFramesIn = 20
        s.appFramesOut = 30
        s.appErrors = ["invalid_json": 2]
        s.historyGaps = ["history_lost": 1, "history_trimmed": 0]
        s.appSlowConsumerDisconnects = 1
        s.openFileDescriptors = 33
        s.maxFileDescriptors = 1024
        s.processCPUSeconds = 12.5
        s.processResidentBytes = 40 << 20
        s.processVirtualBytes = 1 << 30
        return s
    }

    private func render(_ metrics: WSBridgeMetrics, _ snapshot: MetricsSnapshot) -> PrometheusText {
        PrometheusText(String(buffer: metrics.render(snapshot)))
    }

    func testEveryFamilyOfTheCatalogHasItsHelpAndType() {
        let text = self.render(WSBridgeMetrics(), self.snapshot())
        for info in MetricInfo.all {
            XCTAssertEqual(text.types[info.name], info.kind.rawValue, info.name)
            XCTAssertEqual(text.help[info.name], info.help, info.name)
            XCTAssertTrue(info.name.hasPrefix("wsbridge_") || info.name.hasPrefix("process_"), info.name)
            XCTAssertFalse(info.help.contains("\n"), info.name)
        }
        XCTAssertEqual(Set(text.types.keys), Set(MetricInfo.all.map(\.name)), "nothing outside the catalog")
    }

    func testValuesAreTheSnapshots() {
        let text = self.render(WSBridgeMetrics(), self.snapshot())
        XCTAssertEqual(text[#"wsbridge_build_info{node="host-1",version="1.2.3"}"#], 1)
        XCTAssertEqual(text["wsbridge_start_time_seconds"], 1_700_000_000)
        XCTAssertEqual(text["process_start_time_seconds"], 1_700_000_000)
        XCTAssertEqual(text["process_cpu_seconds_total"], 12.5)
        XCTAssertEqual(text["process_resident_memory_bytes"], Double(40 << 20))
        XCTAssertEqual(text["process_virtual_memory_bytes"], Double(1 << 30))
        XCTAssertEqual(text["process_open_fds"], 33)
        XCTAssertEqual(text["process_max_fds"], 1024)
        XCTAssertEqual(text[#"wsbridge_connections_open{path="/ws"}"#], 3)
        XCTAssertEqual(text["wsbridge_tcp_connections_open"], 4)
        XCTAssertEqual(text["wsbridge_connects_total"], 10)
        XCTAssertEqual(text[#"wsbridge_disconnects_total{code="1000"}"#], 6)
        XCTAssertEqual(text[#"wsbridge_disconnects_total{code="1006"}"#], 1)
        XCTAssertEqual(text[#"wsbridge_disconnects_total{code="other"}"#], 0, "zero series are shown")
        XCTAssertEqual(text[#"wsbridge_auth_refusals_total{reason="invalid_token"}"#], 2)
        XCTAssertEqual(text["wsbridge_client_messages_total"], 42)
        XCTAssertEqual(text[#"wsbridge_deliveries_total{source="redis"}"#], 7)
        XCTAssertEqual(text[#"wsbridge_deliveries_total{source="app"}"#], 1)
        XCTAssertEqual(text["wsbridge_flushes_total"], 5)
        XCTAssertEqual(text[#"wsbridge_limit_hits_total{limit="slow_consumer"}"#], 1)
        XCTAssertEqual(text["wsbridge_outbound_queue_high_water_bytes"], 262_144)
        XCTAssertEqual(text["wsbridge_outbound_queue_largest_bytes"], 1024)
        XCTAssertEqual(text[#"wsbridge_broker_up{broker="redis"}"#], 1)
        XCTAssertEqual(text["wsbridge_broker_reconnects_total"], 2)
        XCTAssertEqual(text["wsbridge_broker_health_timeouts_total"], 3)
        XCTAssertEqual(text[#"wsbridge_broker_messages_total{direction="in"}"#], 9)
        XCTAssertEqual(text[#"wsbridge_broker_messages_total{direction="out"}"#], 4)
        XCTAssertEqual(text["wsbridge_invalid_channel_messages_total"], 1)
        XCTAssertEqual(text["wsbridge_apps_attached"], 1)
        XCTAssertEqual(text[#"wsbridge_app_frames_total{direction="in"}"#], 20)
        XCTAssertEqual(text[#"wsbridge_app_errors_total{code="invalid_json"}"#], 2)
        XCTAssertEqual(text["wsbridge_app_slow_consumer_disconnects_total"], 1)
        XCTAssertEqual(text["wsbridge_open_fds"], 33)
        XCTAssertEqual(text["wsbridge_max_fds"], 1024)
    }

    func testCountersFollowTheTotalsFromScrapeToScrape() {
        let metrics = WSBridgeMetrics()
        var snapshot = self.snapshot()
        _ = self.render(metrics, snapshot)
        snapshot.connects = 11
        snapshot.brokerUp = false
        let text = self.render(metrics, snapshot)
        XCTAssertEqual(text["wsbridge_connects_total"], 11, "a counter shows the total, not a sum of scrapes")
        XCTAssertEqual(text[#"wsbridge_broker_up{broker="redis"}"#], 0)
    }

    func testTheLatencyHistogramCountsWhatTheTimerRecorded() {
        let metrics = WSBridgeMetrics()
        metrics.deliveryLatency.recordNanoseconds(30_000)  // 30 µs
        metrics.deliveryLatency.recordNanoseconds(3_000_000)  // 3 ms
        let text = self.render(metrics, self.snapshot())
        XCTAssertEqual(text["wsbridge_delivery_latency_seconds_count"], 2)
        XCTAssertEqual(text[#"wsbridge_delivery_latency_seconds_bucket{le="0.00005"}"#], 1)
        XCTAssertEqual(text[#"wsbridge_delivery_latency_seconds_bucket{le="0.005"}"#], 2)
        XCTAssertEqual(text[#"wsbridge_delivery_latency_seconds_bucket{le="+Inf"}"#], 2)
        XCTAssertEqual(try XCTUnwrap(text["wsbridge_delivery_latency_seconds_sum"]), 0.00303, accuracy: 1e-9)
    }

    func testUnknownDescriptorCountsAreLeftOut() {
        var snapshot = self.snapshot()
        snapshot.openFileDescriptors = nil
        snapshot.maxFileDescriptors = nil
        let text = self.render(WSBridgeMetrics(), snapshot)
        XCTAssertNil(text["wsbridge_open_fds"])
    }

    private let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testOperationsDocumentNamesEveryMetric() throws {
        let document = try String(contentsOf: self.repositoryRoot.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        for info in MetricInfo.all {
            XCTAssertTrue(document.contains("| `\(info.name)` |"), "docs/operations.md has no row for \(info.name)")
        }
    }

    func testTheDocsAndTheGrafanaDashboardUseOnlyMetricsThatExist() throws {
        let known = Set(MetricInfo.all.map(\.name))
        for file in ["docs/operations.md", "examples/grafana/wsbridge.json"] {
            let text = try String(contentsOf: self.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
            for name in Self.metricNames(in: text) {
                let family = ["_bucket", "_count", "_sum"].reduce(name) { name, suffix in
                    name.hasSuffix(suffix) && known.contains(String(name.dropLast(suffix.count))) ? String(name.dropLast(suffix.count)) : name
                }
                XCTAssertTrue(known.contains(family), "\(file) mentions \(name), which /metrics does not have")
            }
        }
    }

    /// Every `wsbridge_…` identifier in `text` (the bare prefix aside).
    private static func metricNames(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(text)
        while let start = rest.range(of: "wsbridge_") {
            let name = rest[start.lowerBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if name.count > "wsbridge_".count { names.insert(String(name)) }
            rest = rest[name.endIndex...]
        }
        return names
    }
}
