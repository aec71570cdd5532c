import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

@testable import WSBridgeAdmin

final class AdminHTTPHandlerTests: XCTestCase {
    private struct RenderFailure: Error {}

    func testMetricsAreServedInThePrometheusTextFormat() throws {
        let harness = try AdminHarness()
        let response = try ParsedResponse.one(try harness.exchange(AdminHarness.get("/metrics")))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(response.body, "wsbridge_up 1\n")
        XCTAssertTrue(harness.channel.isActive, "HTTP/1.1 keeps the connection open")
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testAQueryStringIsIgnored() throws {
        let harness = try AdminHarness()
        XCTAssertEqual(try ParsedResponse.one(try harness.exchange(AdminHarness.get("/metrics?name[]=x"))).status, 200)
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testHealthzFollowsTheBrokerLink() throws {
        let harness = try AdminHarness()
        let up = try ParsedResponse.one(try harness.exchange(AdminHarness.get("/healthz")))
        XCTAssertEqual(up.status, 200)
        XCTAssertEqual(up.body, "ok\n")
        harness.state.withLockedValue { $0.healthy = false }
        let down = try ParsedResponse.one(try harness.exchange(AdminHarness.get("/healthz")))
        XCTAssertEqual(down.status, 503)
        XCTAssertEqual(down.body, "broker link down\n")
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testReadyzFollowsTheDaemonsPhase() throws {
        let harness = try AdminHarness()
        harness.state.withLockedValue { $0.ready = .fail("starting") }
        let starting = try ParsedResponse.one(try harness.exchange(AdminHarness.get("/readyz")))
        XCTAssertEqual(starting.status, 503)
        XCTAssertEqual(starting.body, "starting\n")
        harness.state.withLockedValue { $0.ready = .pass("ready") }
        XCTAssertEqual(try ParsedResponse.one(try harness.exchange(AdminHarness.get("/readyz"))).status, 200)
        harness.state.withLockedValue { $0.ready = .fail("draining") }
        let draining = try ParsedResponse.one(try harness.exchange(AdminHarness.get("/readyz")))
        XCTAssertEqual(draining.status, 503)
        XCTAssertEqual(draining.body, "draining\n")
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testHeadAnswersWithTheHeadersOnly() throws {
        let harness = try AdminHarness()
        let text = try harness.exchange(AdminHarness.get("/metrics", method: "HEAD"))
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200 OK\r\n"), text)
        XCTAssertTrue(text.contains("Content-Length: 14\r\n"), text)
        XCTAssertTrue(text.hasSuffix("\r\n\r\n"), "no body: \(text)")
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testOtherMethodsGet405WithAllow() throws {
        let harness = try AdminHarness()
        let response = try ParsedResponse.one(
            try harness.exchange(AdminHarness.get("/metrics", method: "POST", headers: "Content-Length: 0\r\n")))
        XCTAssertEqual(response.status, 405)
        XCTAssertEqual(response.headers["allow"], "GET, HEAD")
        XCTAssertEqual(harness.state.withLockedValue { $0.scrapes }, 0)
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testOtherPathsGet404() throws {
        let harness = try AdminHarness()
        for path in ["/", "/ws", "/metrics/", "/healthz/x"] {
            XCTAssertEqual(try ParsedResponse.one(try harness.exchange(AdminHarness.get(path))).status, 404, path)
        }
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testAFailedRenderingIsA500() throws {
        let harness = try AdminHarness()
        harness.state.withLockedValue { $0.metricsBody = .failure(RenderFailure()) }
        XCTAssertEqual(try ParsedResponse.one(try harness.exchange(AdminHarness.get("/metrics"))).status, 500)
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testPipelinedRequestsAreAnsweredInOrderEvenWhenMetricsTakeTime() throws {
        let harness = try AdminHarness()
        harness.state.withLockedValue { $0.metricsBody = nil }
        let first = try harness.exchange(AdminHarness.get("/metrics") + AdminHarness.get("/healthz"))
        XCTAssertEqual(first, "", "nothing is answered before the scrape completes")
        let pending = try XCTUnwrap(harness.state.withLockedValue { $0.pending })
        pending.succeed(ByteBuffer(string: "late 1\n"))
        harness.channel.embeddedEventLoop.run()
        let responses = ParsedResponse.all(try harness.readOutbound())
        XCTAssertEqual(responses.map(\.status), [200, 200])
        XCTAssertEqual(responses.map(\.body), ["late 1\n", "ok\n"])
        XCTAssertNoThrow(try harness.channel.finish())
    }

    func testConnectionCloseIsHonoured() throws {
        let harness = try AdminHarness()
        let text = try harness.exchange(AdminHarness.get("/healthz", headers: "Connection: close\r\n"))
        XCTAssertEqual(try ParsedResponse.one(text).headers["connection"], "close")
        XCTAssertFalse(harness.channel.isActive)
        XCTAssertNoThrow(try harness.channel.finish(acceptAlreadyClosed: true))
    }

    func testAMalformedRequestGets400AndIsClosed() throws {
        let harness = try AdminHarness()
        let text = try harness.exchange("GARBAGE\r\n\r\n")
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 400"), text)
        XCTAssertFalse(harness.channel.isActive)
        XCTAssertNoThrow(try harness.channel.finish(acceptAlreadyClosed: true))
    }

    func testAnIdleConnectionIsClosed() throws {
        let harness = try AdminHarness()
        _ = try harness.exchange(AdminHarness.get("/healthz"))
        // IdleStateHandler measures idleness on the wall clock; deliver its verdict directly.
        harness.channel.pipeline.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.read)
        harness.channel.embeddedEventLoop.run()
        XCTAssertFalse(harness.channel.isActive)
        XCTAssertNoThrow(try harness.channel.finish(acceptAlreadyClosed: true))
    }
}
