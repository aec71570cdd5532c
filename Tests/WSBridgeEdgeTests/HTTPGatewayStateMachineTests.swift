import NIOCore
import NIOHTTP1
import WSBridgeCore
import WSBridgeDeflate
@testable import WSBridgeEdge
import XCTest

/// The gateway's decisions without a channel: requests in, actions out. The bytes each answer becomes
/// are pinned by HTTPGatewayHandlerTests, EventStreamTests and the others, through the handler.
final class HTTPGatewayStateMachineTests: XCTestCase {
    typealias Machine = HTTPGatewayStateMachine
    typealias Response = HTTPGatewayStateMachine.Response
    typealias Header = HTTPGatewayStateMachine.Header

    private static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    private static let upgrade = [
        ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13"),
    ]
    private static let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    private func head(_ method: HTTPMethod = .GET, _ uri: String, _ headers: [(String, String)] = []) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    /// Feeds one whole request; the connection id handed out is c7.
    private func request(
        _ machine: inout Machine, _ head: HTTPRequestHead, settings: EdgeSettings = EdgeSettings(), health: String? = nil
    ) -> Machine.Action {
        machine.receivedHead(head)
        XCTAssertEqual(machine.state, .receiving)
        return machine.receivedEnd(settings: settings, health: { health }, nextConnection: { ConnectionID(rawValue: 7) })
    }

    private func route(_ head: HTTPRequestHead, settings: EdgeSettings = EdgeSettings(), health: String? = nil) -> Machine.Route {
        Machine.route(head, settings: settings, health: { health })
    }

    func testAHandshakeIsAuthenticatedThenOpened() {
        var machine = Machine(overCapacity: false)
        let head = self.head(.GET, "/ws?user=alice", Self.upgrade)
        let opening = Machine.Opening.webSocket(accept: Self.accept, subprotocol: false, since: nil, deflate: nil)
        XCTAssertEqual(
            self.request(&machine, head),
            .authenticate(.init(connection: ConnectionID(rawValue: 7), path: "/ws", rawQuery: "user=alice", appPaths: ["/ws"], headers: head.headers, opening: opening)))
        XCTAssertEqual(machine.state, .deciding)
        var reserved: [String] = []
        let action = machine.authenticated(.success(.accept(user: "alice")), channelActive: true, userLimit: nil) { reserved.append($0); return true }
        XCTAssertEqual(action, .open(opening, connection: ConnectionID(rawValue: 7), user: "alice", path: "/ws"))
        XCTAssertEqual(reserved, ["alice"])
        XCTAssertEqual(machine.state, .done)
        XCTAssertEqual(machine.timedOut(), .none, "an opened connection has no handshake left to time out")
        XCTAssertEqual(machine.channelInactive(), .none)
    }

    func testOnlyTheFirstRequestIsServed() {
        var machine = Machine(overCapacity: false)
        XCTAssertEqual(self.request(&machine, self.head(.GET, "/nothing")), .respond(Response(status: .notFound, body: "not found\n")))
        machine.receivedHead(self.head(.GET, "/healthz"))
        XCTAssertEqual(machine.state, .done)
        XCTAssertEqual(machine.receivedEnd(settings: EdgeSettings(), health: { nil }, nextConnection: { XCTFail("no id"); return ConnectionID(rawValue: 0) }), .none)
    }

    func testOverCapacityEveryRequestGets503() {
        for uri in ["/ws", "/healthz", "/sse", "/x"] {
            var machine = Machine(overCapacity: true)
            XCTAssertEqual(
                self.request(&machine, self.head(.GET, uri, Self.upgrade)), .respond(Response(status: .serviceUnavailable, body: "too many connections\n")))
        }
    }

    func testTheWebSocketPathChecksMethodHeadersOriginAndSince() {
        var settings = EdgeSettings()
        settings.origins = .only(["https://good.example"])
        XCTAssertEqual(
            self.route(self.head(.POST, "/ws", Self.upgrade)),
            .answer(Response(status: .methodNotAllowed, body: "WebSocket handshakes use GET\n", headers: [Header("Allow", "GET")])))
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws")),
            .answer(Response(status: .upgradeRequired, body: "this path speaks WebSocket only\n",
                             headers: [Header("Upgrade", "websocket"), Header("Sec-WebSocket-Version", "13")])))
        let version8 = Self.upgrade.map { $0.0 == "Sec-WebSocket-Version" ? ($0.0, "8") : $0 }
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws", version8)),
            .answer(Response(status: .upgradeRequired, body: "unsupported WebSocket version\n", headers: [Header("Sec-WebSocket-Version", "13")])))
        // Too short, unpadded, 18 bytes, a character outside base64, 15 bytes; then two keys.
        for key in ["short", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZT8h", "dGhlIHNhbXBsZSBub25jZQ=!", "dGhlIHNhbXBsZSBub25j"] {
            let badKey = Self.upgrade.map { $0.0 == "Sec-WebSocket-Key" ? ($0.0, key) : $0 }
            XCTAssertEqual(
                self.route(self.head(.GET, "/ws", badKey)), .answer(Response(status: .badRequest, body: "missing or malformed Sec-WebSocket-Key\n")),
                key)
        }
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws", Self.upgrade + [("Sec-WebSocket-Key", Self.key)])),
            .answer(Response(status: .badRequest, body: "missing or malformed Sec-WebSocket-Key\n")))
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws", Self.upgrade + [("Origin", "https://evil.example")]), settings: settings),
            .answer(Response(status: .forbidden, body: "origin not allowed\n", note: .refused(.origin, reason: "origin not allowed"))))

        let subprotocol = Self.upgrade + [("Sec-WebSocket-Protocol", "wsbridge.v1")]
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws?since=nope", subprotocol)),
            .answer(Response(status: .badRequest, body: "since: expected the pos of a wsbridge.v1 message (USERPOS.ALLPOS), got \"nope\"\n")))
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws?since=a-1.b-2", subprotocol)),
            .authenticate(path: "/ws", rawQuery: "since=a-1.b-2", appPaths: ["/ws"],
                          opening: .webSocket(accept: Self.accept, subprotocol: true, since: SessionPosition("a-1.b-2"), deflate: nil)))
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws?since=nope", Self.upgrade)),
            .authenticate(path: "/ws", rawQuery: "since=nope", appPaths: ["/ws"],
                          opening: .webSocket(accept: Self.accept, subprotocol: false, since: nil, deflate: nil)),
            "since means nothing without the subprotocol")
    }

    /// RFC 6455 §4.2.1 as clients write it: names and tokens in any case, `Connection` listing other
    /// tokens too, optional whitespace, the headers in any order.
    func testHandshakeHeadersAreReadAsClientsWriteThem() {
        let opened = Machine.Route.authenticate(
            path: "/ws", rawQuery: "", appPaths: ["/ws"],
            opening: .webSocket(accept: Self.accept, subprotocol: false, since: nil, deflate: nil))
        let variants: [[(String, String)]] = [
            [("upgrade", "WebSocket"), ("connection", "keep-alive, Upgrade"), ("sec-websocket-key", " \(Self.key)\t"),
             ("SEC-WEBSOCKET-VERSION", " 13 ")],
            [("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Key", Self.key), ("Connection", "Upgrade,keep-alive"),
             ("Upgrade", "h2c, websocket")],
            [("Connection", "keep-alive"), ("Connection", "upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", Self.key),
             ("Sec-WebSocket-Version", "13")],
            [("Upgrade", "h2c"), ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", Self.key),
             ("Sec-WebSocket-Version", "13")],
        ]
        for headers in variants {
            XCTAssertEqual(self.route(self.head(.GET, "/ws", headers)), opened, "\(headers)")
        }
        let notUpgrades: [[(String, String)]] = [
            [("Upgrade", "websockets"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", Self.key), ("Sec-WebSocket-Version", "13")],
            [("Upgrade", "websocket"), ("Connection", "keep-alive; upgrade"), ("Sec-WebSocket-Key", Self.key),
             ("Sec-WebSocket-Version", "13")],
            [("Upgrade", "websocket"), ("Sec-WebSocket-Key", Self.key), ("Sec-WebSocket-Version", "13")],
        ]
        for headers in notUpgrades {
            XCTAssertEqual(
                self.route(self.head(.GET, "/ws", headers)),
                .answer(Response(status: .upgradeRequired, body: "this path speaks WebSocket only\n",
                                 headers: [Header("Upgrade", "websocket"), Header("Sec-WebSocket-Version", "13")])),
                "\(headers)")
        }
        // Only spaces and tabs around a value are optional whitespace (RFC 9110 §5.6.3).
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws", Self.upgrade.map { $0.0 == "Sec-WebSocket-Version" ? ($0.0, "13\u{A0}") : $0 })),
            .answer(Response(status: .upgradeRequired, body: "unsupported WebSocket version\n", headers: [Header("Sec-WebSocket-Version", "13")])))
        // The first version field decides.
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws", Self.upgrade.filter { $0.0 != "Sec-WebSocket-Version" }
                + [("Sec-WebSocket-Version", "8"), ("Sec-WebSocket-Version", "13")])),
            .answer(Response(status: .upgradeRequired, body: "unsupported WebSocket version\n", headers: [Header("Sec-WebSocket-Version", "13")])))
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws", Self.upgrade.filter { $0.0 != "Sec-WebSocket-Version" })),
            .answer(Response(status: .upgradeRequired, body: "unsupported WebSocket version\n", headers: [Header("Sec-WebSocket-Version", "13")])))
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws", Self.upgrade.filter { $0.0 != "Sec-WebSocket-Key" })),
            .answer(Response(status: .badRequest, body: "missing or malformed Sec-WebSocket-Key\n")))
    }

    func testPermessageDeflateIsNegotiatedUnlessTurnedOff() {
        let offer = Self.upgrade + [("Sec-WebSocket-Extensions", "permessage-deflate")]
        guard case .authenticate(_, _, _, .webSocket(_, _, _, let deflate)) = self.route(self.head(.GET, "/ws", offer)) else {
            return XCTFail("not routed to the authenticator")
        }
        XCTAssertNotNil(deflate)
        var off = EdgeSettings()
        off.permessageDeflate = false
        XCTAssertEqual(
            self.route(self.head(.GET, "/ws", offer), settings: off),
            .authenticate(path: "/ws", rawQuery: "", appPaths: ["/ws"],
                          opening: .webSocket(accept: Self.accept, subprotocol: false, since: nil, deflate: nil)))
    }

    func testTheEventStreamPathChecksMethodAcceptOriginAndPosition() {
        var settings = EdgeSettings()
        settings.origins = .only(["https://good.example"])
        let preflight = self.route(self.head(.OPTIONS, "/sse", [("Origin", "https://evil.example")]), settings: settings)
        XCTAssertEqual(
            preflight, .answer(Response(status: .ok, body: "", headers: EventStreamHandshake.preflightHeaders(origin: nil).map { Header($0.0, $0.1) })),
            "a preflight from an origin not allowed gets no CORS grant")
        XCTAssertEqual(
            self.route(self.head(.DELETE, "/sse")),
            .answer(Response(status: .methodNotAllowed, body: "event streams use GET\n", headers: [Header("Allow", "GET, OPTIONS")])))
        XCTAssertEqual(
            self.route(self.head(.GET, "/sse", [("Accept", "text/html")])),
            .answer(Response(status: .notAcceptable, body: "this path serves text/event-stream only: send Accept: text/event-stream\n")))
        XCTAssertEqual(
            self.route(self.head(.GET, "/sse", [("Origin", "https://evil.example")]), settings: settings),
            .answer(Response(status: .forbidden, body: "origin not allowed\n", note: .refused(.origin, reason: "origin not allowed"))))
        XCTAssertEqual(
            self.route(self.head(.GET, "/sse?since=a-1.", [("Last-Event-ID", "bad")])),
            .answer(Response(status: .badRequest, body: "since: expected the pos of a wsbridge.v1 message (USERPOS.ALLPOS), got \"bad\"\n")),
            "Last-Event-ID comes before the query")
        XCTAssertEqual(
            self.route(self.head(.GET, "/sse?user=a", [("Origin", "https://good.example")]), settings: settings),
            .authenticate(path: "/sse", rawQuery: "user=a", appPaths: ["/sse", "/ws"], opening: .eventStream(since: nil, origin: "https://good.example")))
        var samePath = EdgeSettings()
        samePath.eventStreamPath = "/stream"
        samePath.path = "/stream"
        XCTAssertEqual(
            self.route(self.head(.GET, "/stream"), settings: samePath),
            .answer(Response(status: .upgradeRequired, body: "this path speaks WebSocket only\n",
                             headers: [Header("Upgrade", "websocket"), Header("Sec-WebSocket-Version", "13")])),
            "the WebSocket path wins")
        var off = EdgeSettings()
        off.eventStreamPath = nil
        XCTAssertEqual(self.route(self.head(.GET, "/sse"), settings: off), .answer(Response(status: .notFound, body: "not found\n")))
    }

    func testHealthzFollowsTheHealthCheckAndHeadHasNoBody() {
        XCTAssertEqual(self.route(self.head(.GET, "/healthz")), .answer(Response(status: .ok, body: "ok\n")))
        XCTAssertEqual(self.route(self.head(.HEAD, "/healthz")), .answer(Response(status: .ok, body: "ok\n", includeBody: false)))
        XCTAssertEqual(
            self.route(self.head(.GET, "/healthz"), health: "broker link down"),
            .answer(Response(status: .serviceUnavailable, body: "broker link down\n")))
        XCTAssertEqual(
            self.route(self.head(.PUT, "/healthz")),
            .answer(Response(status: .methodNotAllowed, body: "use GET\n", headers: [Header("Allow", "GET, HEAD")])))
        var asked = 0
        _ = Machine.route(self.head(.GET, "/nothing"), settings: EdgeSettings()) { asked += 1; return nil }
        XCTAssertEqual(asked, 0, "the health check is asked for /healthz only")
    }

    func testARefusalIsNotedAndA401AsksForABearerToken() {
        var machine = Machine(overCapacity: false)
        _ = self.request(&machine, self.head(.GET, "/ws", Self.upgrade))
        let action = machine.authenticated(
            .success(.reject(status: .unauthorized, reason: "bad token", kind: .invalidToken)), channelActive: true, userLimit: nil) { _ in
                XCTFail("no place is taken for a refused client")
                return true
            }
        XCTAssertEqual(
            action,
            .respond(Response(status: .unauthorized, body: "bad token\n", headers: [Header("WWW-Authenticate", "Bearer")],
                              note: .refused(.invalidToken, reason: "bad token"))))
        XCTAssertEqual(machine.state, .done)
    }

    func testAnAuthenticatorThatFailsIsA500() {
        struct Broken: Error {}
        var machine = Machine(overCapacity: false)
        _ = self.request(&machine, self.head(.GET, "/sse"))
        XCTAssertEqual(
            machine.authenticated(.failure(Broken()), channelActive: true, userLimit: nil) { _ in true },
            .respond(Response(status: .internalServerError, body: "authentication failed\n", note: .authenticatorFailed("Broken()"))))
    }

    func testTooManyBytesBeforeTheVerdictCloseAndTheVerdictIsIgnored() {
        var machine = Machine(overCapacity: false)
        XCTAssertEqual(machine.receivedEarly(held: 1025, limit: 1024), .none, "not deciding yet: the parser bounds the head")
        guard case .authenticate = self.request(&machine, self.head(.GET, "/ws?user=alice", Self.upgrade)) else {
            return XCTFail("not asked to authenticate")
        }
        XCTAssertEqual(machine.receivedEarly(held: 1024, limit: 1024), .none)
        XCTAssertEqual(machine.receivedEarly(held: 1025, limit: 1024), .close(.maxRequestHeadBytes), "counted as the limit's hit")
        XCTAssertEqual(machine.state, .done)
        let verdict = machine.authenticated(.success(.accept(user: "alice")), channelActive: true, userLimit: nil) { _ in true }
        XCTAssertEqual(verdict, .none)
    }

    func testAUserWithoutRoomGets429() {
        var machine = Machine(overCapacity: false)
        _ = self.request(&machine, self.head(.GET, "/ws", Self.upgrade))
        XCTAssertEqual(
            machine.authenticated(.success(.accept(user: "bob")), channelActive: true, userLimit: 2) { _ in false },
            .respond(Response(status: .tooManyRequests, body: "user already holds 2 connections (max_connections_per_user)\n",
                              note: .limitHit(.maxConnectionsPerUser))))
    }

    func testAClientThatLeavesWhileDecidedAboutIsAbandonedAndItsVerdictIgnored() {
        var machine = Machine(overCapacity: false)
        _ = self.request(&machine, self.head(.GET, "/ws", Self.upgrade))
        XCTAssertEqual(machine.authenticated(.success(.accept(user: "a")), channelActive: false, userLimit: nil) { _ in true }, .none,
                       "a verdict on a closed channel is dropped")
        XCTAssertEqual(machine.channelInactive(), .abandon(ConnectionID(rawValue: 7)))
        XCTAssertEqual(machine.channelInactive(), .none, "told once")
        XCTAssertEqual(machine.authenticated(.success(.accept(user: "a")), channelActive: true, userLimit: nil) { _ in true }, .none)
    }

    func testTheHandshakeTimeoutClosesASilentClientAndAnswersAnUndecidedOne() {
        var silent = Machine(overCapacity: false)
        XCTAssertEqual(silent.timedOut(), .close(.handshakeTimeout))
        var partial = Machine(overCapacity: false)
        partial.receivedHead(self.head(.GET, "/ws"))
        XCTAssertEqual(partial.timedOut(), .close(.handshakeTimeout))
        XCTAssertEqual(partial.state, .done)
        var undecided = Machine(overCapacity: false)
        _ = self.request(&undecided, self.head(.GET, "/ws", Self.upgrade))
        XCTAssertEqual(
            undecided.timedOut(),
            .respondAbandoning(
                Response(status: .serviceUnavailable, body: "handshake timed out\n", note: .limitHit(.handshakeTimeout)),
                ConnectionID(rawValue: 7)),
            "the authenticator (an app) is told to stop waiting")
        XCTAssertEqual(undecided.channelInactive(), .none, "answered: the authenticator is not told again")
    }

    func testADrainClosesAConnectionWithoutItsRequestAndAnswersAnUndecidedOne503() {
        var silent = Machine(overCapacity: false)
        XCTAssertEqual(silent.draining(), .close(nil), "nothing was asked: closed, not counted")
        XCTAssertEqual(silent.state, .done)
        var partial = Machine(overCapacity: false)
        partial.receivedHead(self.head(.GET, "/ws", Self.upgrade))
        XCTAssertEqual(partial.draining(), .close(nil))
        XCTAssertEqual(partial.receivedEnd(settings: EdgeSettings(), health: { nil }, nextConnection: { ConnectionID(rawValue: 8) }), .none,
                       "the rest of the request asks for nothing any more")

        var undecided = Machine(overCapacity: false)
        _ = self.request(&undecided, self.head(.GET, "/ws", Self.upgrade))
        XCTAssertEqual(
            undecided.draining(),
            .respondAbandoning(
                Response(status: .serviceUnavailable, body: "server shutting down\n", note: .refused(.shuttingDown, reason: "server shutting down")),
                ConnectionID(rawValue: 7)))
        XCTAssertEqual(undecided.authenticated(.success(.accept(user: "a")), channelActive: true, userLimit: nil) { _ in XCTFail("no place taken"); return true }, .none,
                       "a verdict after the drain opens nothing")
        XCTAssertEqual(undecided.channelInactive(), .none, "the authenticator was told already")
        XCTAssertEqual(undecided.timedOut(), .none)
        XCTAssertEqual(undecided.draining(), .none, "once")

        var opened = Machine(overCapacity: false)
        _ = self.request(&opened, self.head(.GET, "/ws", Self.upgrade))
        _ = opened.authenticated(.success(.accept(user: "a")), channelActive: true, userLimit: nil) { _ in true }
        XCTAssertEqual(opened.draining(), .none, "an opened connection is its session's to drain")
    }

    func testAHeadTooLargeIs431AndALimitHitWhileTheRequestIsRead() {
        let tooLarge = Response(
            status: .requestHeaderFieldsTooLarge, body: "request head exceeds 2048 bytes (max_request_head_bytes)\n",
            note: .limitHit(.maxRequestHeadBytes))
        var fresh = Machine(overCapacity: false)
        XCTAssertEqual(fresh.headTooLarge(limit: 2048), .respond(tooLarge))
        XCTAssertEqual(fresh.state, .done)
        var deciding = Machine(overCapacity: false)
        _ = self.request(&deciding, self.head(.GET, "/ws", Self.upgrade))
        XCTAssertEqual(deciding.headTooLarge(limit: 2048), .close(nil), "a request already read is not answered again")
    }

    func testAnUnreadableRequestIs400AndAnyOtherErrorCloses() {
        var fresh = Machine(overCapacity: false)
        XCTAssertEqual(fresh.failed(parserError: true), .respond(Response(status: .badRequest, body: "malformed HTTP request\n")))
        var reading = Machine(overCapacity: false)
        reading.receivedHead(self.head(.GET, "/ws"))
        XCTAssertEqual(reading.failed(parserError: true), .respond(Response(status: .badRequest, body: "malformed HTTP request\n")))
        var deciding = Machine(overCapacity: false)
        _ = self.request(&deciding, self.head(.GET, "/ws", Self.upgrade))
        XCTAssertEqual(deciding.failed(parserError: true), .close(nil))
        XCTAssertEqual(deciding.channelInactive(), .abandon(ConnectionID(rawValue: 7)), "the close that follows tells the authenticator")
        var other = Machine(overCapacity: false)
        XCTAssertEqual(other.failed(parserError: false), .close(nil))
    }
}
