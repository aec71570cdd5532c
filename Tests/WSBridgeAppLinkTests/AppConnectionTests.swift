import NIOCore
import WSBridgeCore
import XCTest
@testable import WSBridgeAppLink

final class AppConnectionTests: XCTestCase {
    func testHelloIsAnsweredWithWelcomeAndTheLimits() throws {
        var settings = AppLinkSettings()
        settings.nodeID = "node-7"
        let app = try self.appHarness(settings: settings)
        try app.send(#"{"type":"hello","protocol":1,"name":"a","paths":["/ws"],"id":"h"}"#)
        let welcome = try XCTUnwrap(try app.events().first)
        XCTAssertEqual(welcome["type"] as? String, "welcome")
        XCTAssertEqual(welcome["id"] as? String, "h")
        XCTAssertEqual(welcome["node"] as? String, "node-7")
        XCTAssertEqual((welcome["limits"] as? [String: Any])?["max_frame_bytes"] as? Int, 1 << 20)
        XCTAssertEqual(app.link.counters.appsAttached.load(ordering: .relaxed), 1)
        XCTAssertNoThrow(try app.channel.finish())
        XCTAssertEqual(app.link.counters.appsAttached.load(ordering: .relaxed), 0)
    }

    func testAnythingBeforeHelloIsRefusedAndTheAppStaysConnected() throws {
        let app = try self.appHarness()
        try app.send(#"{"type":"publish","all":true,"data":"x","id":1}"#)
        XCTAssertEqual(try app.events().codes, ["hello_required"])
        XCTAssertTrue(app.published.isEmpty)
        try app.hello()
        XCTAssertTrue(app.channel.isActive)
    }

    func testAWrongProtocolVersionIsRefused() throws {
        let app = try self.appHarness()
        try app.send(#"{"type":"hello","protocol":2,"name":"a","paths":[],"id":1}"#)
        XCTAssertEqual(try app.events().codes, ["unsupported_protocol"])
        try app.hello()
    }

    func testEveryMalformedRequestGetsItsCodeAndTheStreamStaysInSync() throws {
        let app = try self.appHarness()
        try app.hello()
        let cases: [(String, String)] = [
            ("not json", "invalid_json"),
            ("[1,2]", "not_an_object"),
            (#"{"id":1}"#, "missing_type"),
            (#"{"type":"launch","id":1}"#, "unknown_type"),
            (#"{"type":"accept","user":"a","id":1}"#, "missing_field"),
            (#"{"type":"accept","conn":5,"user":"a","id":1}"#, "bad_field"),
            (#"{"type":"hello","protocol":1,"name":"a","paths":[],"id":1}"#, "duplicate_hello"),
            (#"{"type":"accept","conn":"c999","user":"a","id":1}"#, "unknown_conn"),
            (#"{"type":"unregister","session":"nope","id":1}"#, "unknown_session"),
            (#"{"type":"send","conn":"c12","data":"x","id":1}"#, "unknown_conn"),
        ]
        for (request, code) in cases {
            try app.send(request)
            XCTAssertEqual(try app.events().codes, [code], request)
        }
        try app.sendRaw([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])  // {"\xFF":1}
        XCTAssertEqual(try app.events().codes, ["invalid_utf8"])
        try app.send(#"{"type":"ping","id":9}"#)
        XCTAssertEqual(try app.events().types, ["pong"], "the app is still served after every error")
        XCTAssertTrue(app.channel.isActive)
        XCTAssertEqual(app.link.counters.errorsByCode["unknown_conn"], 2)
    }

    func testAnOversizedFrameIsAnsweredAndTheAppDisconnected() throws {
        var settings = AppLinkSettings()
        settings.maxFrameBytes = 1024
        let app = try self.appHarness(settings: settings)
        try app.hello()
        var frame = ByteBuffer()
        frame.writeInteger(UInt32(1 << 30))
        _ = try? app.channel.writeInbound(frame)
        XCTAssertEqual(try app.events().codes, ["frame_too_large"])
        app.channel.embeddedEventLoop.run()
        XCTAssertFalse(app.channel.isActive)
    }

    func testATruncatedFrameAtDisconnectHarmsNothing() throws {
        let app = try self.appHarness()
        try app.hello()
        var partial = ByteBuffer()
        partial.writeInteger(UInt32(100))
        partial.writeString(#"{"type":"#)
        try app.channel.writeInbound(partial)
        XCTAssertNoThrow(try app.channel.finish(acceptAlreadyClosed: true))
        XCTAssertEqual(app.link.counters.appsAttached.load(ordering: .relaxed), 0)
    }

    func testPublishIsAnsweredOnceTheBrokerAcceptsAndRepliesKeepRequestOrder() throws {
        let app = try self.appHarness()
        try app.hello()
        app.holdPublishes = true
        try app.send(#"{"type":"publish","users":["a",7],"data":{"n":1},"id":1}"#)
        try app.send(#"{"type":"ping","id":2}"#)
        XCTAssertEqual(try app.events().types, [], "the pong waits for the publish's ok")
        app.releasePublishes()
        let replies = try app.events()
        XCTAssertEqual(replies.types, ["ok", "pong"])
        XCTAssertEqual(replies.map { $0["id"] as? Int }, [1, 2])
        XCTAssertEqual(app.published, [#"{"users":["a","7"],"data":{"n":1}}"#])
    }

    func testAPublishTheBrokerRefusesIsReported() throws {
        struct Down: Error {}
        let app = try self.appHarness()
        try app.hello()
        app.publishResult = .failure(Down())
        try app.send(#"{"type":"publish","all":true,"data":"x","id":1}"#)
        XCTAssertEqual(try app.events().codes, ["publish_failed"])
    }

    func testRegisteredSessionsReceiveDeliveriesUntilUnregistered() throws {
        let app = try self.appHarness()
        try app.hello()
        try app.send(#"{"type":"register","session":"s1","user":"alice","id":1}"#)
        try app.send(#"{"type":"register","session":"s1","user":"bob","id":2}"#)
        XCTAssertEqual(try app.events().codes, ["-", "duplicate_session"])
        app.router.dispatch([self.delivery("hi", to: .user("alice")), self.delivery("no", to: .user("bob"))])
        let delivered = try app.events()
        XCTAssertEqual(delivered.types, ["deliver"])
        XCTAssertEqual(delivered.first?["session"] as? String, "s1")
        XCTAssertEqual(delivered.first?["data"] as? String, "hi")
        try app.send(#"{"type":"unregister","session":"s1","id":3}"#)
        XCTAssertEqual(try app.events().types, ["ok"])
        app.router.dispatch([self.delivery("gone", to: .user("alice"))])
        XCTAssertEqual(try app.events().types, [])
    }

    func testAnAppsSessionsVanishWhenItDetaches() throws {
        let app = try self.appHarness()
        try app.hello()
        try app.send(#"{"type":"register","session":"s1","user":"alice","id":1}"#)
        _ = try app.events()
        let shard = app.router.shard(for: app.channel.eventLoop)
        XCTAssertEqual(shard.sessionCount, 1)
        try app.channel.close().wait()
        XCTAssertEqual(shard.sessionCount, 0)
    }

    func testASlowAppIsToldAndDisconnected() throws {
        let app = try self.appHarness()
        try app.hello()
        app.channel.isWritable = false
        app.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(try app.events().codes, ["slow_consumer"])
        app.channel.embeddedEventLoop.run()
        XCTAssertFalse(app.channel.isActive)
        XCTAssertEqual(app.link.counters.slowConsumerDisconnects.load(ordering: .relaxed), 1)
    }

    func testTheShutdownIsAnnouncedOnceAndToAnAppThatAttachesDuringTheDrainRightAfterItsWelcome() throws {
        let early = try self.appHarness()
        try early.hello()
        let late = try self.appHarness(sharingWith: early)
        early.link.announceShutdown(drainMilliseconds: 1500)
        early.link.announceShutdown(drainMilliseconds: 1500)
        let told = try early.events()
        XCTAssertEqual(told.types, ["shutdown"], "once")
        XCTAssertEqual(told.first?["drain_ms"] as? Int, 1500)
        XCTAssertEqual(try late.events().types, [], "not attached yet: nothing to tell")

        try late.send(#"{"type":"hello","protocol":1,"name":"late","paths":[],"id":1}"#)
        let events = try late.events()
        XCTAssertEqual(events.types, ["welcome", "shutdown"])
        XCTAssertEqual(events.last?["drain_ms"] as? Int, 1500)
        early.link.announceShutdown(drainMilliseconds: 1500)
        XCTAssertEqual(try late.events().types, [])
        XCTAssertEqual(try early.events().types, [])
    }

    private func delivery(_ text: String, to target: DeliveryTarget) -> Delivery {
        Delivery(
            envelope: Envelope(target: target, payload: ByteBuffer(string: text), isBinary: false),
            source: .app, arrivedAt: .now()
        )
    }
}
