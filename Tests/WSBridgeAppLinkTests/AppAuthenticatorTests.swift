import NIOConcurrencyHelpers
import NIOCore
import WSBridgeCore
import XCTest
@testable import WSBridgeAppLink

final class AppAuthenticatorTests: XCTestCase {
    private func request(_ conn: UInt64, path: String = "/ws", appPaths: [String]? = nil) -> HandshakeRequest {
        HandshakeRequest(
            connection: ConnectionID(rawValue: conn), path: path, rawQuery: "token=t",
            headers: ["Host": "x", "Cookie": "a=1"], remoteAddress: try? SocketAddress(ipAddress: "127.0.0.1", port: 5555),
            appPaths: appPaths
        )
    }

    private func decision(_ future: EventLoopFuture<HandshakeDecision>, _ app: AppHarness) throws -> HandshakeDecision? {
        app.channel.embeddedEventLoop.run()
        let result = NIOLockedValueBox<HandshakeDecision?>(nil)
        future.whenSuccess { decision in result.withLockedValue { $0 = decision } }
        return result.withLockedValue { $0 }
    }

    func testTheAppIsAskedAndItsAcceptCompletesTheHandshake() throws {
        let app = try self.appHarness()
        try app.hello()
        let future = AppAuthenticator(link: app.link).authenticate(self.request(5), on: app.channel.eventLoop)
        let connect = try XCTUnwrap(try app.events().first)
        XCTAssertEqual(connect["type"] as? String, "connect")
        XCTAssertEqual(connect["conn"] as? String, "c5")
        XCTAssertEqual(connect["query"] as? String, "token=t")
        XCTAssertEqual((connect["headers"] as? [String: String])?["cookie"], "a=1")
        XCTAssertEqual(connect["remote"] as? String, "127.0.0.1:5555")
        try app.send(#"{"type":"accept","conn":"c5","user":"alice","id":1}"#)
        XCTAssertEqual(try self.decision(future, app), .accept(user: "alice"))
        // The client never upgrades here: at the connect timeout the app learns the conn is gone.
        app.channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        XCTAssertEqual(try app.events().codes, ["unknown_conn"])
    }

    func testARejectIsARealStatus() throws {
        let app = try self.appHarness()
        try app.hello()
        let future = AppAuthenticator(link: app.link).authenticate(self.request(6), on: app.channel.eventLoop)
        _ = try app.events()
        try app.send(#"{"type":"reject","conn":"c6","status":401,"reason":"bad token","id":1}"#)
        XCTAssertEqual(try self.decision(future, app), .reject(status: .unauthorized, reason: "bad token", kind: .appRejected))
        XCTAssertEqual(try app.events().types, ["ok"])
        try app.send(#"{"type":"accept","conn":"c6","user":"x","id":2}"#)
        XCTAssertEqual(try app.events().codes, ["unknown_conn"], "a decided connect cannot be decided again")
    }

    func testNoAppForThePathIs503() throws {
        let app = try self.appHarness()
        try app.hello(paths: ["/other"])
        let future = AppAuthenticator(link: app.link).authenticate(self.request(7), on: app.channel.eventLoop)
        XCTAssertEqual(try self.decision(future, app), .reject(status: .serviceUnavailable, reason: "no app serves this path", kind: .noApp))
    }

    func testAnEventStreamIsDecidedByTheAppsOfItsPathElseByThoseOfTheWebSocketPath() throws {
        let app = try AppHarness()
        try app.hello(paths: ["/ws"])
        let sse = self.request(10, path: "/sse", appPaths: ["/sse", "/ws"])
        _ = AppAuthenticator(link: app.link).authenticate(sse, on: app.channel.eventLoop)
        let connect = try XCTUnwrap(try app.events().first)
        XCTAssertEqual(connect["type"] as? String, "connect")
        XCTAssertEqual(connect["path"] as? String, "/sse", "the app sees where the client came")

        let other = try AppHarness()
        try other.hello(paths: ["/elsewhere"])
        let refused = AppAuthenticator(link: other.link).authenticate(sse, on: other.channel.eventLoop)
        XCTAssertEqual(
            try self.decision(refused, other), .reject(status: .serviceUnavailable, reason: "no app serves this path", kind: .noApp))
    }

    func testASilentAppIs503AfterTheConnectTimeout() throws {
        var settings = AppLinkSettings()
        settings.connectTimeout = .seconds(2)
        let app = try self.appHarness(settings: settings)
        try app.hello()
        let future = AppAuthenticator(link: app.link).authenticate(self.request(8), on: app.channel.eventLoop)
        XCTAssertEqual(try app.events().types, ["connect"])
        XCTAssertNil(try self.decision(future, app))
        app.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        XCTAssertEqual(try self.decision(future, app), .reject(status: .serviceUnavailable, reason: "no answer from the app in time", kind: .appTimeout))
    }

    func testPendingConnectsGet503WhenTheAppGoesAway() throws {
        let app = try self.appHarness()
        try app.hello()
        let future = AppAuthenticator(link: app.link).authenticate(self.request(9), on: app.channel.eventLoop)
        XCTAssertEqual(try app.events().types, ["connect"])
        try app.channel.close().wait()
        guard case .reject(let status, _, let kind) = try self.decision(future, app) else {
            return XCTFail("expected a refusal")
        }
        XCTAssertEqual(status, .serviceUnavailable)
        XCTAssertEqual(kind, .appGone)
    }

    func testAClientThatLeavesReleasesThePendingDecisionAtOnce() throws {
        let app = try self.appHarness()
        try app.hello()
        let authenticator = AppAuthenticator(link: app.link)
        let future = authenticator.authenticate(self.request(20), on: app.channel.eventLoop)
        _ = try app.events()
        authenticator.abandoned(ConnectionID(rawValue: 20))
        XCTAssertEqual(try self.decision(future, app), .reject(status: .serviceUnavailable, reason: "client went away", kind: .clientGone))
        try app.send(#"{"type":"accept","conn":"c20","user":"x","id":1}"#)
        try app.send(#"{"type":"ping","id":2}"#)
        XCTAssertEqual(try app.events().types, ["error", "pong"], "no reply is held up by the departed client")
    }

    func testAnAcceptedClientThatNeverUpgradesDoesNotHoldUpLaterReplies() throws {
        let app = try self.appHarness()
        try app.hello()
        let authenticator = AppAuthenticator(link: app.link)
        _ = authenticator.authenticate(self.request(21), on: app.channel.eventLoop)
        _ = try app.events()
        try app.send(#"{"type":"accept","conn":"c21","user":"x","id":1}"#)
        try app.send(#"{"type":"ping","id":2}"#)
        XCTAssertEqual(try app.events().types, [], "the ok waits for the upgrade, and the pong for the ok")
        authenticator.abandoned(ConnectionID(rawValue: 21))
        XCTAssertEqual(try app.events().codes, ["unknown_conn", "-"])
    }

    func testAppsServingOnePathShareConnectsRoundRobin() throws {
        let first = try self.appHarness()
        let second = try self.appHarness(sharingWith: first)
        try first.hello()
        try second.hello()
        let authenticator = AppAuthenticator(link: first.link)
        for conn in 10..<14 {
            _ = authenticator.authenticate(self.request(UInt64(conn)), on: first.channel.eventLoop)
        }
        XCTAssertEqual(try first.events().map { $0["conn"] as? String }, ["c10", "c12"])
        XCTAssertEqual(try second.events().map { $0["conn"] as? String }, ["c11", "c13"])
    }
}
