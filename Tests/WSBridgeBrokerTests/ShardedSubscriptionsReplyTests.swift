import NIOCore
import WSBridgeBroker
import XCTest

/// Reading replies off a subscriber connection, and replies out of step with the commands sent.
final class ShardedSubscriptionsReplyTests: XCTestCase {
    private typealias N = CapturedNodes
    private typealias Reply = ShardedSubscriptions.Reply
    private var rig = SubscriptionsRig()

    func testSubscriptionRepliesAreReadAsRedisSendsThem() {
        // As redis-server 7.0.15 sent them (docs/scaling.md).
        XCTAssertEqual(
            Reply(.array([bulk("ssubscribe"), bulk("{u:alice}:a"), .integer(1)])), .ssubscribe("{u:alice}:a"))
        XCTAssertEqual(Reply(.array([bulk("sunsubscribe"), bulk("ch210"), .integer(5)])), .sunsubscribe("ch210"))
        XCTAssertEqual(Reply(.error("MOVED 5797 127.0.0.1:7102")), .error("MOVED 5797 127.0.0.1:7102"))
    }

    func testMessagesAndOtherRepliesAreNotSubscriptionReplies() {
        XCTAssertNil(Reply(.array([bulk("smessage"), bulk("{u:alice}:a"), bulk("x")])))
        XCTAssertNil(Reply(.array([bulk("message"), bulk("classic"), bulk("x")])))
        XCTAssertNil(Reply(.array([bulk("subscribe"), bulk("classic"), .integer(1)])))
        XCTAssertNil(Reply(.array([bulk("pong"), bulk("")])))
        XCTAssertNil(Reply(.array([bulk("ssubscribe"), bulk("a")])))
        XCTAssertNil(Reply(.array([.integer(1), bulk("a"), .integer(1)])))
        XCTAssertNil(Reply(.array(nil)))
        XCTAssertNil(Reply(.simpleString("OK")))
        XCTAssertNil(Reply(.integer(1)))
    }

    func testAConfirmationNoCommandAwaitsResetsTheLink() throws {
        _ = try self.rig.subscribed("{u:alice}:a")
        XCTAssertEqual(
            self.rig.machine.received(.ssubscribe("{u:bob}"), from: N.m7102),
            [.disconnect(N.m7102), .refreshTopology, .connect(N.m7102)])
        XCTAssertFalse(self.rig.machine.isSubscribed("{u:alice}:a"))
        XCTAssertEqual(self.rig.perform([.connect(N.m7102)]).resubscribed, ["{u:alice}:a"])
    }

    func testAConfirmationOutOfOrderResetsTheLink() throws {
        _ = self.rig.want("{u:alice}:a", "{u:alice}:b")
        _ = self.rig.machine.topologyChanged(try SubscriptionsRig.created())
        _ = self.rig.machine.connected(N.m7102)
        XCTAssertEqual(
            self.rig.machine.received(.ssubscribe("{u:alice}:b"), from: N.m7102),
            [.disconnect(N.m7102), .refreshTopology, .connect(N.m7102)])
        XCTAssertEqual(
            self.rig.machine.connected(N.m7102), [.ssubscribe(N.m7102, slot(5797), ["{u:alice}:a", "{u:alice}:b"])],
            "the whole slot again, on the new connection")
    }

    func testAnErrorNoCommandAwaitsResetsTheLink() throws {
        _ = try self.rig.subscribed("b")
        XCTAssertEqual(
            self.rig.machine.received(.error("ERR unknown command"), from: N.m7101),
            [.disconnect(N.m7101), .refreshTopology, .connect(N.m7101)])
    }

    func testRepliesBeforeTheConnectionIsReadyAreIgnored() throws {
        _ = self.rig.want("b")
        _ = self.rig.machine.topologyChanged(try SubscriptionsRig.created())
        XCTAssertEqual(self.rig.machine.received(.ssubscribe("b"), from: N.m7101), [])
        XCTAssertEqual(self.rig.machine.received(.ssubscribe("b"), from: N.m7103), [], "no link at all")
        XCTAssertFalse(self.rig.machine.isSubscribed("b"))
    }

    func testAChannelLostThenDroppedIsNewWhenWantedAgain() throws {
        _ = try self.rig.subscribed("b", "{u:alice}:a")
        _ = self.rig.machine.connectionLost(N.m7101)
        _ = self.rig.unwant("b")
        let again = self.rig.perform(self.rig.want("b"))
        XCTAssertEqual(again.firstSubscribed, ["b"])
        XCTAssertEqual(again.resubscribed, [])
    }

    func testAChannelIsReportedOnceWhenSubscribedOnceAgainAfterALoss() throws {
        _ = try self.rig.subscribed("b")
        _ = self.rig.machine.connectionLost(N.m7101)
        XCTAssertEqual(self.rig.perform([.connect(N.m7101)]).resubscribed, ["b"])
        _ = self.rig.machine.connectionLost(N.m7101)
        let second = self.rig.perform([.connect(N.m7101)])
        XCTAssertEqual(second.resubscribed, ["b"])
        XCTAssertEqual(second.firstSubscribed, [])
    }
}
