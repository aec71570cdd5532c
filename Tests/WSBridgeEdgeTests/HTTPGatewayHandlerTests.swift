import NIOCore
import NIOHTTP1
import XCTest
import WSBridgeCore
@testable import WSBridgeEdge

final class HTTPGatewayHandlerTests: XCTestCase {
    func testAValidHandshakeIsAnsweredWith101AndTheRightAcceptKey() throws {
        let harness = try self.edgeHarness()
        let response = try harness.handshake()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), response)
        // The example key and accept value from RFC 6455 §1.3.
        XCTAssertTrue(response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), response)
        XCTAssertEqual(harness.events.opened.map(\.1), ["alice"])
    }

    func testMissingUserIsRefusedWith401BeforeTheUpgrade() throws {
        let harness = try self.edgeHarness()
        let response = try harness.handshake(path: "/ws")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"), response)
        XCTAssertTrue(response.contains("WWW-Authenticate: Bearer"), response)
        XCTAssertTrue(harness.events.opened.isEmpty)
        XCTAssertEqual(harness.shardCounters.refusals, [.missingCredentials: 1])
        XCTAssertFalse(harness.channel.isActive, "a refused handshake closes the connection")
    }

    func testAnOriginOutsideTheAllowlistGets403() throws {
        var settings = EdgeSettings()
        settings.origins = .only(["https://good.example"])
        let harness = try self.edgeHarness(settings: settings)
        let bad = try harness.handshake(extraHeaders: "Origin: https://evil.example\r\n")
        XCTAssertTrue(bad.hasPrefix("HTTP/1.1 403 Forbidden\r\n"), bad)
        XCTAssertEqual(harness.shardCounters.refusals, [.origin: 1])

        let good = try self.edgeHarness(settings: settings)
        let response = try good.handshake(extraHeaders: "Origin: https://GOOD.example\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 101"), response)
    }

    func testAPlainGetOnTheWebSocketPathGets426() throws {
        let harness = try self.edgeHarness()
        try harness.send("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try harness.readOutboundString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"), response)
        XCTAssertTrue(response.contains("Sec-WebSocket-Version: 13"), response)
    }

    func testAWrongWebSocketVersionGets426AndABadKeyGets400() throws {
        let harness = try self.edgeHarness()
        try harness.send(
            "GET /ws?user=a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(EdgeHarness.key)\r\nSec-WebSocket-Version: 8\r\n\r\n"
        )
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 426"))

        let second = try self.edgeHarness()
        try second.send(
            "GET /ws?user=a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        XCTAssertTrue(try second.readOutboundString().hasPrefix("HTTP/1.1 400"))
    }

    func testPostOnTheWebSocketPathGets405() throws {
        let harness = try self.edgeHarness()
        try harness.send("POST /ws HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let response = try harness.readOutboundString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 405"), response)
        XCTAssertTrue(response.contains("Allow: GET"), response)
    }

    func testUnknownPathsGet404() throws {
        let harness = try self.edgeHarness()
        try harness.send("GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 404"))
    }

    func testHealthzFollowsTheBrokerLink() throws {
        let up = try self.edgeHarness(healthy: true)
        try up.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(try up.readOutboundString().hasPrefix("HTTP/1.1 200 OK"))

        let down = try self.edgeHarness(healthy: false)
        try down.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try down.readOutboundString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 503"), response)
        XCTAssertTrue(response.contains("broker link down"), response)
    }

    func testMalformedHTTPGets400() throws {
        let harness = try self.edgeHarness()
        try? harness.send("NOT HTTP AT ALL\r\n\r\n")
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 400"))
    }

    func testTheHandshakeTimesOut() throws {
        var settings = EdgeSettings()
        settings.handshakeTimeout = .seconds(2)
        let harness = try self.edgeHarness(settings: settings)
        try harness.send("GET /ws?user=a HTTP/1.1\r\n")  // never finished
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        XCTAssertFalse(harness.channel.isActive)
        XCTAssertEqual(harness.shardCounters.limitHits[.handshakeTimeout], 1)
    }

    func testConnectionsOverTheLimitGet503() throws {
        var settings = EdgeSettings()
        settings.maxConnections = 0
        let harness = try self.edgeHarness(settings: settings)
        let response = try harness.handshake()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 503"), response)
        XCTAssertEqual(harness.shardCounters.limitHits[.maxConnections], 1)
    }

    func testBytesSentRightAfterTheRequestReachTheWebSocket() throws {
        let harness = try self.edgeHarness()
        var request = ByteBuffer(
            string: "GET /ws?user=bob HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(EdgeHarness.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        var frame = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("early".utf8))
        request.writeBuffer(&frame)
        try harness.channel.writeInbound(request)
        // The HTTP decoder hands over its leftovers in a task on the event loop.
        harness.channel.embeddedEventLoop.run()
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 101"))
        XCTAssertEqual(harness.events.messages.map(\.0), ["early"])
    }

    func testAFrameStartedInTheHandshakePacketIsFinishedByTheNextRead() throws {
        let harness = try self.edgeHarness()
        var request = ByteBuffer(
            string: "GET /ws?user=bob HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(EdgeHarness.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        var frame = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("split early".utf8))
        request.writeImmutableBuffer(frame.readSlice(length: 7)!)
        try harness.channel.writeInbound(request)
        harness.channel.embeddedEventLoop.run()
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 101"))
        XCTAssertTrue(harness.events.messages.isEmpty)
        try harness.channel.writeInbound(frame)
        XCTAssertEqual(harness.events.messages.map(\.0), ["split early"])
    }
}
