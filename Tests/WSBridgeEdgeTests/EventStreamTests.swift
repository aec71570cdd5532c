import NIOCore
import WSBridgeCore
@testable import WSBridgeEdge
import XCTest

/// The server-sent-events fallback: the request's checks, the events with their ids, recovery, apps'
/// `send` and `close`, the limits, the end of a stream.
final class EventStreamTests: XCTestCase {
    private func delivery(_ text: String, to target: DeliveryTarget, at positions: [StreamPosition] = [], binary: Bool = false) -> Delivery {
        let payload = binary ? ByteBuffer(bytes: [0, 1, 2]) : ByteBuffer(string: text)
        let envelope = Envelope(target: target, payload: payload, isBinary: binary, data: ByteBuffer(string: "\"\""), positions: positions)
        return Delivery(envelope: envelope, source: .redis, arrivedAt: .now())
    }

    /// A harness with one open stream for alice; returns it with the stream's first bytes (the head and
    /// the `ready` event).
    private func opened(_ settings: EdgeSettings = EdgeSettings(), extraHeaders: String = "") throws -> (EdgeHarness, String) {
        let harness = try EdgeHarness(settings: settings)
        let response = try harness.eventStreamRequest(extraHeaders: extraHeaders)
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK\r\n"), response)
        return (harness, response)
    }

    func testTheStreamStartsWithItsHeadersAndReadyThenCarriesEachMessageWithItsPosition() throws {
        let (harness, response) = try self.opened()
        XCTAssertTrue(response.contains("\r\nContent-Type: text/event-stream; charset=utf-8\r\n"), response)
        XCTAssertTrue(response.contains("\r\nCache-Control: no-cache, no-transform\r\n"), response)
        XCTAssertTrue(response.contains("\r\nX-Accel-Buffering: no\r\n"), response)
        XCTAssertFalse(response.contains("Content-Length"), "the body ends with the connection: \(response)")
        XCTAssertFalse(response.contains("Access-Control"), "no CORS headers without an Origin: \(response)")
        XCTAssertTrue(
            response.hasSuffix("\r\n\r\nevent: ready\nid: .\ndata: {\"type\":\"ready\",\"pos\":\".\",\"recovered\":0}\n\n"), response)
        XCTAssertEqual(harness.events.opened.map(\.1), ["alice"])
        XCTAssertEqual(harness.events.handles.first?.appPaths, ["/sse", "/ws"], "apps of the WebSocket path serve the fallback")

        let e1 = [StreamPosition(epoch: "e", offset: 1)]
        harness.router.dispatch([self.delivery("hi", to: .user("alice"), at: e1)])
        harness.router.dispatch([self.delivery("hi", to: .user("alice"), at: e1)])
        harness.router.dispatch([self.delivery(#"{"n":1}"#, to: .all)])
        harness.router.dispatch([self.delivery("two\nlines\r\nand\rmore\n", to: .all, at: [StreamPosition(epoch: "a", offset: 7)])])
        harness.router.dispatch([self.delivery("", to: .user("alice"), binary: true)])
        harness.router.dispatch([self.delivery("for bob", to: .user("bob"))])
        XCTAssertEqual(
            try harness.readOutboundString(),
            "id: e-1.\ndata: hi\n\n"
                + "data: {\"n\":1}\n\n"
                + "id: e-1.a-7\ndata: two\ndata: lines\ndata: and\ndata: more\ndata: \n\n"
                + "event: binary\ndata: AAEC\n\n",
            "the duplicate at e-1 is dropped, a best-effort message has no id, bob's is not alice's")
        XCTAssertEqual(harness.edge.counters.openEventStreams.load(ordering: .relaxed), 1)
        XCTAssertEqual(harness.edge.counters.eventStreamConnects.load(ordering: .relaxed), 1)
        XCTAssertEqual(harness.edge.counters.openWebSockets.load(ordering: .relaxed), 0)
        XCTAssertNoThrow(try harness.channel.finish())
        XCTAssertEqual(harness.edge.counters.openEventStreams.load(ordering: .relaxed), 0)
        XCTAssertEqual(harness.events.closed.map(\.0), ["alice"])
        XCTAssertEqual(harness.shardCounters.disconnects, ["1006": 1], "the client went: no close event was sent")
    }

    func testABroadcastsDataLinesAreMadeOnceForEveryStream() throws {
        let harness = try EdgeHarness()
        let delivery = self.delivery("one\ntwo", to: .all)
        let first = EventStreamFrame.data(of: delivery, allocator: .init())
        let second = EventStreamFrame.data(of: delivery, allocator: .init())
        XCTAssertEqual(String(buffer: first), "data: one\ndata: two\n\n")
        first.withUnsafeReadableBytes { a in
            second.withUnsafeReadableBytes { b in XCTAssertEqual(a.baseAddress, b.baseAddress, "the same bytes, not a copy") }
        }
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testDataLinesSplitEveryKindOfLineBreak() {
        func lines(_ text: String) -> String {
            String(buffer: EventStreamFrame.dataLines(ByteBuffer(string: text), isBinary: false, allocator: .init()))
        }
        XCTAssertEqual(lines(""), "data: \n\n", "an empty message is still an event (data is empty)")
        XCTAssertEqual(lines("a"), "data: a\n\n")
        XCTAssertEqual(lines("a\r\n"), "data: a\ndata: \n\n", "a trailing line break survives as an empty last line")
        XCTAssertEqual(lines("\r\r\n\n"), "data: \ndata: \ndata: \ndata: \n\n")
        XCTAssertEqual(lines(" lead"), "data:  lead\n\n", "the parser drops one space after the colon, so a leading one is kept")
        XCTAssertEqual(lines("é\u{2028}x"), "data: é\u{2028}x\n\n", "only CR and LF break lines")
    }

    func testARecoveringStreamResumesFromLastEventIDBeforeTheQuery() throws {
        let harness = try EdgeHarness()
        let response = try harness.eventStreamRequest(
            path: "/sse?user=alice&since=x-1.", extraHeaders: "Last-Event-ID: e-4.a-2\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200"), "Last-Event-ID wins over a bad ?since=: \(response)")
        XCTAssertTrue(response.hasSuffix("event: ready\nid: e-4.a-2\ndata: {\"type\":\"ready\",\"pos\":\"e-4.a-2\",\"recovered\":0}\n\n"), response)
        harness.router.dispatch([self.delivery("old", to: .user("alice"), at: [StreamPosition(epoch: "e", offset: 4)])])
        harness.router.dispatch([self.delivery("new", to: .user("alice"), at: [StreamPosition(epoch: "e", offset: 5)])])
        XCTAssertEqual(try harness.readOutboundString(), "id: e-5.a-2\ndata: new\n\n", "what the client had is not sent again")
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testASinceInTheQueryIsUsedWithoutLastEventID() throws {
        let harness = try EdgeHarness()
        let response = try harness.eventStreamRequest(path: "/sse?user=alice&since=e-9.")
        XCTAssertTrue(response.contains("\"pos\":\"e-9.\""), response)
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testAMalformedLastEventIDIsA400() throws {
        let harness = try EdgeHarness()
        let response = try harness.eventStreamRequest(extraHeaders: "Last-Event-ID: yesterday\r\n")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 400"), response)
        XCTAssertTrue(response.contains("since: expected the pos of a wsbridge.v1 message"), response)
        XCTAssertFalse(harness.channel.isActive)
    }

    func testAGapIsAnEventWithTheV1JSONAndMovesTheID() throws {
        let (harness, _) = try self.opened()
        let gap = StreamGap(
            stream: .user("alice"), reason: .historyTrimmed, after: StreamPosition(epoch: "e", offset: 3),
            resumesAfter: StreamPosition(epoch: "e", offset: 9))
        harness.router.shard(for: harness.channel.eventLoop).gap(gap)
        XCTAssertEqual(
            try harness.readOutboundString(),
            "event: gap\nid: e-9.\ndata: {\"type\":\"gap\",\"stream\":\"user\",\"reason\":\"history_trimmed\",\"after\":\"e-3\",\"missed\":6,\"pos\":\"e-9.\"}\n\n")
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testTheAcceptHeaderMustAllowAnEventStream() throws {
        for accept in ["text/html", "application/json, text/plain", "text/event-stream;q=0"] {
            let harness = try EdgeHarness()
            let response = try harness.eventStreamRequest(accept: accept)
            XCTAssertTrue(response.hasPrefix("HTTP/1.1 406"), "\(accept): \(response)")
            XCTAssertTrue(response.contains("send Accept: text/event-stream"), response)
        }
        for accept in [nil, "*/*", "text/*", "text/html, text/event-stream; q=0.5", "TEXT/EVENT-STREAM"] {
            let harness = try EdgeHarness()
            XCTAssertTrue(try harness.eventStreamRequest(accept: accept).hasPrefix("HTTP/1.1 200"), "\(accept ?? "no Accept")")
            XCTAssertNoThrow(try harness.channel.finish())
        }
    }

    func testOnlyGetOpensAStreamAndOptionsAnswersAPreflight() throws {
        let post = try EdgeHarness()
        let refused = try post.eventStreamRequest(method: "POST")
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 405"), refused)
        XCTAssertTrue(refused.contains("\r\nAllow: GET, OPTIONS\r\n"), refused)

        let options = try EdgeHarness()
        let preflight = try options.eventStreamRequest(method: "OPTIONS", extraHeaders: "Origin: https://app.example\r\n")
        XCTAssertTrue(preflight.hasPrefix("HTTP/1.1 200"), preflight)
        XCTAssertTrue(preflight.contains("\r\nAccess-Control-Allow-Origin: https://app.example\r\n"), preflight)
        XCTAssertTrue(preflight.contains("Last-Event-ID"), preflight)
        XCTAssertEqual(options.edge.counters.eventStreamConnects.load(ordering: .relaxed), 0)
    }

    func testAnAllowedOriginGetsCORSHeadersAndAnotherIs403() throws {
        var settings = EdgeSettings()
        settings.origins = .only(["https://app.example"])
        let (harness, response) = try self.opened(settings, extraHeaders: "Origin: https://app.example\r\n")
        XCTAssertTrue(response.contains("\r\nAccess-Control-Allow-Origin: https://app.example\r\n"), response)
        XCTAssertTrue(response.contains("\r\nAccess-Control-Allow-Credentials: true\r\nVary: Origin\r\n"), response)
        XCTAssertNoThrow(try harness.channel.finish())

        let other = try EdgeHarness(settings: settings)
        let refused = try other.eventStreamRequest(extraHeaders: "Origin: https://evil.example\r\n")
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 403"), refused)
        XCTAssertEqual(other.shardCounters.refusals[.origin], 1)
    }

    func testTheAuthenticatorDecidesAsForAWebSocket() throws {
        let harness = try EdgeHarness()
        let response = try harness.eventStreamRequest(path: "/sse")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 401"), response)
        XCTAssertEqual(harness.shardCounters.refusals[.missingCredentials], 1)
        XCTAssertTrue(harness.events.opened.isEmpty)
    }

    func testStreamsCountTowardTheUsersConnectionLimit() throws {
        var settings = EdgeSettings()
        settings.maxConnectionsPerUser = 1
        let harness = try EdgeHarness(settings: settings)
        XCTAssertTrue(harness.edge.userConnections.reserve("alice", limit: 1), "alice's WebSocket elsewhere on this node")
        let refused = try harness.eventStreamRequest()
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 429"), refused)
        XCTAssertTrue(refused.contains("max_connections_per_user"), refused)
        XCTAssertEqual(harness.shardCounters.limitHits[.maxConnectionsPerUser], 1)

        let (open, _) = try self.opened(settings)
        XCTAssertFalse(open.edge.userConnections.reserve("alice", limit: 1), "the stream holds alice's one place")
        XCTAssertNoThrow(try open.channel.finish())
        XCTAssertTrue(open.edge.userConnections.reserve("alice", limit: 1), "and gives it back when it ends")
    }

    func testWithTheFallbackOffThePathIsNotFound() throws {
        var settings = EdgeSettings()
        settings.eventStreamPath = nil
        let harness = try EdgeHarness(settings: settings)
        XCTAssertTrue(try harness.eventStreamRequest().hasPrefix("HTTP/1.1 404"))
    }

    func testAnAppsSendIsAnEventWithoutIDAndItsCloseEndsTheStream() throws {
        let (harness, _) = try self.opened()
        let handle = try XCTUnwrap(harness.events.handles.first)
        handle.send(ByteBuffer(string: "just you"), isBinary: false)
        handle.send(ByteBuffer(bytes: [255]), isBinary: true)
        harness.channel.embeddedEventLoop.run()
        XCTAssertEqual(try harness.readOutboundString(), "data: just you\n\nevent: binary\ndata: /w==\n\n")
        handle.close(.normal, reason: "bye \"you\"")
        harness.channel.embeddedEventLoop.run()
        XCTAssertEqual(
            try harness.readOutboundString(), "event: close\ndata: {\"type\":\"close\",\"code\":1000,\"reason\":\"bye \\\"you\\\"\"}\n\n")
        XCTAssertFalse(harness.channel.isActive, "closed once the close event is written")
        XCTAssertEqual(harness.events.closed.first?.1, .normal)
        XCTAssertEqual(harness.shardCounters.disconnects, ["1000": 1])
        harness.router.dispatch([self.delivery("late", to: .all)])
        XCTAssertEqual(try harness.readOutboundString(), "")
    }

    func testAStreamWhoseCloseEventCannotBeWrittenEndsOnce() throws {
        let (harness, _) = try self.opened()
        try harness.failNextWrite()
        harness.events.handles.first?.close(.policyViolation, reason: "slow consumer")
        harness.channel.embeddedEventLoop.run()
        XCTAssertFalse(harness.channel.isActive)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        XCTAssertEqual(harness.shardCounters.disconnects, ["1008": 1], "counted once")
        XCTAssertEqual(harness.edge.counters.openEventStreams.load(ordering: .relaxed), 0)
        XCTAssertEqual(harness.events.closed.count, 1, "apps hear of it once")
    }

    func testDrainingSendsACloseEventWith1001() throws {
        let (harness, _) = try self.opened()
        harness.router.shard(for: harness.channel.eventLoop).drain(over: .zero) { $0.drain() }
        harness.channel.embeddedEventLoop.run()
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("event: close\ndata: {\"type\":\"close\",\"code\":1001,"))
        XCTAssertFalse(harness.channel.isActive)
    }

    func testAQuietStreamGetsAKeepAliveCommentEveryPingInterval() throws {
        var settings = EdgeSettings()
        settings.pingInterval = .seconds(10)
        settings.idleTimeout = .seconds(30)
        let (harness, _) = try self.opened(settings)
        let shard = harness.router.shard(for: harness.channel.eventLoop)
        shard.startHeartbeat(interval: .seconds(1))
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        XCTAssertEqual(try harness.readOutboundString(), "")
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        XCTAssertEqual(try harness.readOutboundString(), ": keep-alive\n\n")
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        harness.router.dispatch([self.delivery("news", to: .all)])
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        XCTAssertEqual(try harness.readOutboundString(), "data: news\n\n", "a message counts as traffic")
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        XCTAssertTrue(harness.channel.isActive, "no idle timeout: the client of a stream never speaks")
        XCTAssertEqual(harness.shardCounters.limitHits[.idleTimeout], nil)
        shard.stopHeartbeat()
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testASlowConsumerIsClosedAndResetAfterTheCloseTimeout() throws {
        var settings = EdgeSettings()
        settings.closeTimeout = .seconds(1)
        let (harness, _) = try self.opened(settings)
        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertTrue(try harness.readOutboundString().hasPrefix("event: close\ndata: {\"type\":\"close\",\"code\":1008,"))
        XCTAssertEqual(harness.shardCounters.limitHits[.slowConsumer], 1)
        XCTAssertEqual(harness.router.shard(for: harness.channel.eventLoop).sessionCount, 0)
        harness.router.dispatch([self.delivery("late", to: .all)])
        XCTAssertEqual(try harness.readOutboundString(), "", "nothing after the close event")
    }

    func testWhatTheClientSendsIsDropped() throws {
        let (harness, _) = try self.opened()
        try harness.send("GET /other HTTP/1.1\r\n\r\n\u{0}\u{1}garbage")
        XCTAssertEqual(try harness.readOutboundString(), "")
        XCTAssertTrue(harness.channel.isActive)
        XCTAssertNoThrow(try harness.channel.finish())
    }
}
