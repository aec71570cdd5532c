import Logging
import NIOCore
import NIOPosix
import WSBridgeConfig
import WSBridgeCore
import WSBridgeDaemon
import WSBridgeTestSupport
import XCTest

/// The admin listener of a whole daemon in this process: real sockets, the embedded broker.
final class AdminListenerTests: DaemonTestCase {
    private func startDaemon(admin: Bool = true) async throws -> (Daemon, ws: Int, admin: Int?) {
        let configuration = self.configuration { if !admin { $0.adminListen = nil } }
        let daemon = try Daemon(configuration: configuration, logger: self.logger())
        XCTAssertEqual(daemon.currentPhase, .starting)
        let address = try await daemon.start()
        return (daemon, try XCTUnwrap(address?.port), daemon.adminAddress?.port)
    }

    private func get(_ port: Int, _ path: String) async throws -> HTTPTestClient.Response {
        try await HTTPTestClient.get(port: port, path: path, group: self.group)
    }

    func testTheAdminListenerServesProbesAndMetricsApartFromThePublicPort() async throws {
        let (daemon, wsPort, adminPort) = try await self.startDaemon()
        let admin = try XCTUnwrap(adminPort)
        XCTAssertNotEqual(admin, wsPort)
        let health = try await self.get(admin, "/healthz")
        XCTAssertEqual(health.status, 200)
        let ready = try await self.get(admin, "/readyz")
        XCTAssertEqual(ready.status, 200)
        XCTAssertEqual(ready.body, "ready\n")
        let metrics = try await self.get(admin, "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.body.contains(#"wsbridge_broker_up{broker="embedded"} 1"#), metrics.body)
        let onPublic = try await self.get(wsPort, "/metrics")
        XCTAssertEqual(onPublic.status, 404, "metrics never on the public port")
        await daemon.shutdown()
        XCTAssertEqual(daemon.currentPhase, .stopped)
    }

    func testMetricsCountWhatHappened() async throws {
        let (daemon, wsPort, adminPort) = try await self.startDaemon()
        let admin = try XCTUnwrap(adminPort)
        let a = try await WebSocketTestClient.connect(port: wsPort, path: "/ws?user=A", group: self.group)
        _ = try? await WebSocketTestClient.connect(port: wsPort, path: "/ws", group: self.group)
        try await eventually("A's session") { try await daemon.router.snapshot().get().sessions == 1 }
        _ = try await daemon.publish(EnvelopeText.make(target: .user("A"), data: .text("hi"))).get()
        let received = try await a.nextText()
        XCTAssertEqual(received, "hi")
        try await a.send(text: "from A")
        try await a.send(opcode: 0x8, payload: [0x03, 0xE8])  // close 1000
        try await a.waitUntilClosed()
        await a.close()
        var body = ""
        try await eventually("A's disconnect counted") {
            body = try await self.get(admin, "/metrics").body
            return body.contains(#"wsbridge_disconnects_total{code="1000"} 1"#)
        }
        for line in [
            "wsbridge_connects_total 1", #"wsbridge_auth_refusals_total{reason="missing_credentials"} 1"#,
            #"wsbridge_deliveries_total{source="embedded"} 1"#, #"wsbridge_broker_messages_total{direction="in"} 1"#,
            #"wsbridge_broker_messages_total{direction="out"} 1"#, "wsbridge_client_messages_total 1",
            #"wsbridge_disconnects_total{code="1000"} 1"#, "wsbridge_delivery_latency_seconds_count 1",
            "wsbridge_flushes_total 1",
        ] {
            XCTAssertTrue(body.contains(line + "\n"), "missing \(line) in\n\(body)")
        }
        let status = String(buffer: try await daemon.status().get())
        XCTAssertTrue(status.contains(#""upgrades":1"#), status)
        XCTAssertTrue(status.contains(#""auth_refusals":1"#), status)
        XCTAssertTrue(status.contains(#""flushes":1"#), status)
        await daemon.shutdown()
    }

    func testReadyzTurns503WhileDraining() async throws {
        let (daemon, wsPort, adminPort) = try await self.startDaemon()
        let admin = try XCTUnwrap(adminPort)
        let client = try await WebSocketTestClient.connect(port: wsPort, path: "/ws?user=A", group: self.group)
        let drain = Task { await daemon.shutdown() }
        try await eventually("/readyz says 503") { try await self.get(admin, "/readyz").status == 503 }
        await drain.value
        await client.close()
    }

    func testOffMeansNoAdminListener() async throws {
        let (daemon, _, adminPort) = try await self.startDaemon(admin: false)
        XCTAssertNil(adminPort)
        await daemon.shutdown()
    }
}
