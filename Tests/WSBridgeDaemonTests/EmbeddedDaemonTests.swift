import Foundation
import Logging
import NIOCore
import NIOPosix
import WSBridgeBroker
import WSBridgeConfig
import WSBridgeCore
import WSBridgeDaemon
import WSBridgeProtocol
import WSBridgeTestSupport
import XCTest

/// A whole daemon in this process on the embedded broker, with real sockets and a real WebSocket client.
final class EmbeddedDaemonTests: DaemonTestCase {
    private func startDaemon(_ adjust: (inout WSBridgeConfiguration) -> Void = { _ in }) async throws -> (Daemon, Int) {
        let daemon = try Daemon(configuration: self.configuration(adjust), logger: self.logger())
        let address = try await daemon.start()
        return (daemon, try XCTUnwrap(address?.port))
    }

    func testWithNoRedisTheEmbeddedBrokerIsUsedAndLinked() async throws {
        let (daemon, _) = try await self.startDaemon()
        XCTAssertTrue(daemon.broker is EmbeddedBroker)
        XCTAssertTrue(daemon.broker.isLinked)
        await daemon.shutdown()
    }

    func testWhatIsPublishedThroughTheBrokerReachesTheUsersSessions() async throws {
        let (daemon, port) = try await self.startDaemon()
        let a1 = try await WebSocketTestClient.connect(port: port, path: "/ws?user=A", group: self.group)
        let a2 = try await WebSocketTestClient.connect(port: port, path: "/ws?user=A", group: self.group)
        let b = try await WebSocketTestClient.connect(port: port, path: "/ws?user=B", group: self.group)
        try await self.waitForSessions(daemon, 3)

        _ = try await daemon.publish(EnvelopeText.make(target: .user("A"), data: .text("for A"))).get()
        _ = try await daemon.publish(EnvelopeText.make(target: .all, data: .json(#"{"n":1}"#))).get()
        _ = try await daemon.publish(EnvelopeText.make(target: .users(["B"]), data: .binary([0, 1, 2]))).get()

        for client in [a1, a2] {
            let first = try await client.nextText()
            let second = try await client.nextText()
            XCTAssertEqual(first, "for A")
            XCTAssertEqual(second, #"{"n":1}"#)
        }
        let broadcast = try await b.nextText()
        XCTAssertEqual(broadcast, #"{"n":1}"#, "B never saw A's message")
        let binary = try await b.next()
        XCTAssertEqual(binary, .binary([0, 1, 2]))

        let snapshot = try await daemon.router.snapshot().get()
        XCTAssertEqual(snapshot.deliveries(from: .embedded), 2 + 3 + 1)
        for client in [a1, a2, b] { await client.close() }
        await daemon.shutdown()
    }

    func testShutdownClosesClientsWith1001() async throws {
        let (daemon, port) = try await self.startDaemon()
        let client = try await WebSocketTestClient.connect(port: port, path: "/ws?user=A", group: self.group)
        try await self.waitForSessions(daemon, 1)
        let drain = Task { await daemon.shutdown() }
        let message = try await client.next()
        XCTAssertEqual(message, .close(code: 1001, reason: "server shutting down"))
        try await self.answerClose(client)
        await drain.value
    }

    /// The client answers the server's close frame: the server closes the connection, and the drain
    /// does not wait for `close_timeout`.
    private func answerClose(_ client: WebSocketTestClient) async throws {
        try await client.send(opcode: 0x8, payload: [0x03, 0xE9])
        try await client.waitUntilClosed()
        await client.close()
    }

    func testARefusedHandshakeIsARealHTTPStatus() async throws {
        let (daemon, port) = try await self.startDaemon()
        do {
            _ = try await WebSocketTestClient.connect(port: port, path: "/ws", group: self.group)
            XCTFail("a handshake without ?user= must be refused")
        } catch let refused as WebSocketTestClient.HandshakeRefused {
            XCTAssertEqual(refused.status, 401)
        }
        await daemon.shutdown()
    }

    func testWithAWriteCoalescingWindowEveryMessageArrivesInOrder() async throws {
        let (daemon, port) = try await self.startDaemon { $0.writeCoalesceWindow = .milliseconds(500) }
        let client = try await WebSocketTestClient.connect(port: port, path: "/ws?user=A", group: self.group)
        try await self.waitForSessions(daemon, 1)
        let count = 20
        for n in 0..<count {
            _ = try await daemon.publish(EnvelopeText.make(target: .user("A"), data: .text("m\(n)"))).get()
        }
        var received: [String] = []
        for _ in 0..<count {
            received.append(try await client.nextText())
        }
        XCTAssertEqual(received, (0..<count).map { "m\($0)" })
        let snapshot = try await daemon.router.snapshot().get()
        XCTAssertEqual(snapshot.deliveries(from: .embedded), count)
        XCTAssertGreaterThanOrEqual(snapshot.flushes, 1)
        XCTAssertLessThan(snapshot.flushes, count, "the window put several messages in one flush")
        await client.close()
        await daemon.shutdown()
    }

    func testShutdownSendsWhatWaitsForTheWindowBeforeTheCloseFrame() async throws {
        let (daemon, port) = try await self.startDaemon { $0.writeCoalesceWindow = .seconds(1) }
        let client = try await WebSocketTestClient.connect(port: port, path: "/ws?user=A", group: self.group)
        try await self.waitForSessions(daemon, 1)
        _ = try await daemon.publish(EnvelopeText.make(target: .user("A"), data: .text("last words"))).get()
        let drain = Task { await daemon.shutdown() }
        let message = try await client.nextText()
        XCTAssertEqual(message, "last words")
        let close = try await client.next()
        XCTAssertEqual(close, .close(code: 1001, reason: "server shutting down"))
        try await self.answerClose(client)
        await drain.value
    }

    func testAReloadSetsTheWindowOnEveryEventLoop() async throws {
        let (daemon, _) = try await self.startDaemon()
        var changed = daemon.current
        changed.writeCoalesceWindow = .milliseconds(40)
        let (applied, needRestart) = try daemon.reload(changed)
        XCTAssertEqual(applied, [.writeCoalesceWindow])
        XCTAssertEqual(needRestart, [])
        // Each loop runs tasks in order: the window was set before this look.
        let windows = try await daemon.router.collect { $0.writeCoalesceWindow }.get()
        XCTAssertEqual(windows, [.milliseconds(40), .milliseconds(40)])
        await daemon.shutdown()
    }

    func testTheStatusHasEveryDocumentedMemberAndDecodesAsItWasMade() async throws {
        let (daemon, port) = try await self.startDaemon { $0.adminListen = nil }
        let client = try await WebSocketTestClient.connect(port: port, path: "/ws?user=A", group: self.group)
        try await self.waitForSessions(daemon, 1)
        let body = try await daemon.status().get()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
        XCTAssertEqual(
            Set(object.keys),
            ["node", "version", "uptime_seconds", "phase", "auth", "listen", "broker", "history", "connections", "users", "apps",
             "limits_hit", "counters"])
        let listen = try XCTUnwrap(object["listen"] as? [String: Any])
        XCTAssertEqual(Set(listen.keys), ["websocket", "path", "scheme", "admin", "app_socket"])
        XCTAssertTrue(listen["admin"] is NSNull, "admin_listen = off is a null, not a missing member")
        XCTAssertEqual(object["connections"] as? [String: Int], ["websocket": 1, "sse": 0, "tcp": 1, "sessions": 1])
        let broker = try XCTUnwrap(object["broker"] as? [String: Any])
        XCTAssertEqual(Set(broker.keys), ["kind", "target", "linked", "reconnects", "durable", "probe_misses"])
        let history = try XCTUnwrap(object["history"] as? [String: Any])
        XCTAssertEqual(
            Set(history.keys), ["streams_tracked", "catchups", "recovered_messages", "recoveries", "gaps", "session_gaps"])
        let counters = try XCTUnwrap(object["counters"] as? [String: Int])
        XCTAssertEqual(counters["upgrades"], 1)
        XCTAssertNotNil((object["limits_hit"] as? [String: Int])?["app_slow_consumer"])

        let decoded = try JSONDecoder().decode(DaemonStatus.self, from: Data(body.readableBytesView))
        XCTAssertEqual(decoded.node, daemon.current.nodeID)
        XCTAssertNil(decoded.listen.admin)
        XCTAssertEqual(decoded.connections, DaemonStatus.Connections(websocket: 1, sse: 0, tcp: 1, sessions: 1))
        await client.close()
        await daemon.shutdown()
    }

    private func waitForSessions(_ daemon: Daemon, _ count: Int, file: StaticString = #filePath, line: UInt = #line) async throws {
        try await eventually("\(count) sessions", file: file, line: line) {
            try await daemon.router.snapshot().get().sessions == count
        }
    }
}
