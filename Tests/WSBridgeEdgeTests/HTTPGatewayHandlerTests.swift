import NIOCore
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

    func testBytesSentRightAfterTheRequestReachTheWebSocketPastAnyBody() throws {
        for (header, body) in [("", ""), ("Content-Length: 4\r\n", "body")] {
            let harness = try self.edgeHarness()
            var request = ByteBuffer(
                string: "GET /ws?user=bob HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(EdgeHarness.key)\r\nSec-WebSocket-Version: 13\r\n\(header)\r\n\(body)"
            )
            var frame = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("early".utf8))
            request.writeBuffer(&frame)
            try harness.channel.writeInbound(request)
            XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 101"), header)
            XCTAssertEqual(harness.events.messages.map(\.0), ["early"], header)
        }
    }

    func testAFrameStartedInTheHandshakePacketIsFinishedByTheNextRead() throws {
        let harness = try self.edgeHarness()
        var request = ByteBuffer(
            string: "GET /ws?user=bob HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(EdgeHarness.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        var frame = EdgeHarness.clientFrame(opcode: 0x1, payload: Array("split early".utf8))
        request.writeImmutableBuffer(frame.readSlice(length: 7)!)
        try harness.channel.writeInbound(request)
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 101"))
        XCTAssertTrue(harness.events.messages.isEmpty)
        try harness.channel.writeInbound(frame)
        XCTAssertEqual(harness.events.messages.map(\.0), ["split early"])
    }

    func testAnAnswerIsOneResponseWithItsHeadersInOrderAndHeadGetsNoBody() throws {
        let harness = try self.edgeHarness()
        try harness.send("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(
            try harness.readOutboundString(),
            "HTTP/1.1 426 Upgrade Required\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 32\r\n"
                + "Connection: close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\nthis path speaks WebSocket only\n")
        XCTAssertFalse(harness.channel.isActive)

        let head = try self.edgeHarness()
        try head.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(
            try head.readOutboundString(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
    }

    func testARequestInPiecesIsAnsweredOnceItsHeadIsComplete() throws {
        let harness = try self.edgeHarness()
        try harness.send("GET /ws?user=alice HTTP/1.1\r\nHost: x\r\nUpgrade: web")
        try harness.send("socket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(EdgeHarness.key)\r\n")
        XCTAssertEqual(try harness.readOutbound().readableBytes, 0)
        try harness.send("Sec-WebSocket-Version: 13\r\n\r")
        XCTAssertEqual(try harness.readOutbound().readableBytes, 0)
        try harness.send("\n")
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 101"))
        XCTAssertEqual(harness.events.opened.map(\.1), ["alice"])
    }

    func testOnceOpenTheConnectionIsTheOnlyHandler() throws {
        let harness = try self.edgeHarness()
        XCTAssertTrue(try harness.handshake().hasPrefix("HTTP/1.1 101"))
        let pipeline = harness.channel.pipeline.syncOperations
        XCTAssertNoThrow(try pipeline.handler(type: WebSocketConnection.self))
        XCTAssertThrowsError(try pipeline.handler(type: HTTPGatewayHandler.self))
    }

    func testFramesSentWhileTheAuthenticatorDecidesReachTheWebSocket() throws {
        let authenticator = DeferredAuthenticator()
        let harness = try self.edgeHarness(authenticator: authenticator)
        try harness.send(
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(EdgeHarness.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        try harness.sendFrame(opcode: 0x1, payload: Array("one".utf8))
        try harness.sendFrame(opcode: 0x1, payload: Array("two".utf8))
        XCTAssertEqual(try harness.readOutbound().readableBytes, 0, "nothing is answered before the verdict")
        authenticator.decide(.accept(user: "bob"))
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 101"))
        XCTAssertEqual(harness.events.messages.map(\.0), ["one", "two"])
    }

    func testAClientThatSendsTooMuchBeforeTheVerdictIsClosed() throws {
        let authenticator = DeferredAuthenticator()
        let harness = try self.edgeHarness(authenticator: authenticator)
        try harness.send(
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(EdgeHarness.key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        try harness.send(String(repeating: "x", count: EdgeSettings().maxRequestHeadBytes))
        XCTAssertTrue(harness.channel.isActive, "up to the limit is kept")
        try harness.send("x")
        XCTAssertFalse(harness.channel.isActive)
        XCTAssertEqual(harness.shardCounters.limitHits[.maxRequestHeadBytes], 1)
        authenticator.decide(.accept(user: "bob"))
        XCTAssertEqual(try harness.readOutbound().readableBytes, 0, "a verdict after the close answers nothing")
    }

    func testAnOversizedHeadGets431WithoutWaitingForItsEnd() throws {
        let harness = try self.edgeHarness()
        try harness.send("GET /ws?user=a HTTP/1.1\r\nX: " + String(repeating: "a", count: 80 * 1024))
        let body = "request head exceeds 81920 bytes (max_request_head_bytes)\n"
        XCTAssertEqual(
            try harness.readOutboundString(),
            "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body)
        XCTAssertFalse(harness.channel.isActive)
        XCTAssertEqual(harness.shardCounters.limitHits[.maxRequestHeadBytes], 1)
    }

    func testTheHeadLimitIsTheConfiguredOne() throws {
        var settings = EdgeSettings()
        settings.maxRequestHeadBytes = 1024
        let harness = try self.edgeHarness(settings: settings)
        try harness.send("GET /ws?user=a HTTP/1.1\r\nX: " + String(repeating: "a", count: 1024))
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 431 "))
        XCTAssertEqual(harness.shardCounters.limitHits[.maxRequestHeadBytes], 1)
    }

    func testAFoldedHeaderLineGets400() throws {
        let harness = try self.edgeHarness()
        try harness.send("GET /healthz HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n")
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    }
}

/// An authenticator whose verdicts the test gives, later (as an app deciding does).
final class DeferredAuthenticator: HandshakeAuthenticator, @unchecked Sendable {
    // Only touched from the EmbeddedEventLoop's thread (the test's).
    private var pending: [EventLoopPromise<HandshakeDecision>] = []

    var mode: String { "deferred" }

    func authenticate(_ request: HandshakeRequest, on eventLoop: EventLoop) -> EventLoopFuture<HandshakeDecision> {
        let promise = eventLoop.makePromise(of: HandshakeDecision.self)
        self.pending.append(promise)
        return promise.futureResult
    }

    /// The connections the gateway said it no longer waits for.
    private(set) var abandoned: [ConnectionID] = []

    /// Gives the oldest undecided request its verdict.
    func decide(_ decision: HandshakeDecision) {
        self.pending.removeFirst().succeed(decision)
    }

    func abandoned(_ connection: ConnectionID) {
        self.abandoned.append(connection)
    }
}
