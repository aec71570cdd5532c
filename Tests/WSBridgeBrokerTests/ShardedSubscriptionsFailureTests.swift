import WSBridgeBroker
import XCTest

/// Lost connections, migrated slots, failovers, redirections and refusals. Slots as in
/// ``ShardedSubscriptionsTests``; `{u:dave}` is 11609 (7103).
final class ShardedSubscriptionsFailureTests: XCTestCase {
    private typealias N = CapturedNodes
    private var rig = SubscriptionsRig()

    /// The captured cluster with slot 5797 moved from 7102 to 7101 (as `redis-cli --cluster reshard` would).
    private func migrated() throws -> ClusterTopology {
        try ClusterTopology(shards: [
            .init(master: N.m7101, slots: [slots(0, 5460), slots(5797, 5797)]),
            .init(master: N.m7102, slots: [slots(5461, 5796), slots(5798, 10922)]),
            .init(master: N.m7103, slots: [slots(10923, 16383)]),
        ])
    }

    func testALostConnectionResubscribesItsChannelsAndTellsWhichWereLost() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "wsb:u:42", "b")
        XCTAssertEqual(self.rig.machine.connectionLost(N.m7102), [.refreshTopology, .connect(N.m7102)])
        XCTAssertFalse(self.rig.machine.isSubscribed("{u:alice}:a"))
        XCTAssertTrue(self.rig.machine.isSubscribed("b"), "7101 is untouched")
        let after = self.rig.perform([.connect(N.m7102)])
        XCTAssertEqual(Set(after.resubscribed), ["{u:alice}:a", "wsb:u:42"])
        XCTAssertEqual(after.firstSubscribed, [])
        XCTAssertEqual(self.rig.machine.subscribedCount, 3)
        // The refresh brings the same topology: nothing to do.
        XCTAssertEqual(self.rig.machine.topologyChanged(try SubscriptionsRig.created()), [])
    }

    func testAConnectionThatCannotBeOpenedIsAskedForAgain() throws {
        _ = self.rig.want("b")
        XCTAssertEqual(self.rig.machine.topologyChanged(try SubscriptionsRig.created()), [.connect(N.m7101)])
        XCTAssertEqual(self.rig.machine.connectionLost(N.m7101), [.refreshTopology, .connect(N.m7101)])
        XCTAssertEqual(self.rig.machine.connectionLost(N.m7101), [.connect(N.m7101)], "a refresh is already out")
    }

    func testAConnectionLostAfterItWasClosedIsForgotten() throws {
        _ = try self.rig.subscribed("b")
        XCTAssertEqual(self.rig.unwant("b"), [.disconnect(N.m7101)])
        XCTAssertEqual(self.rig.machine.connectionLost(N.m7101), [])
        XCTAssertEqual(self.rig.machine.connected(N.m7101), [.disconnect(N.m7101)], "not asked for")
    }

    func testASlotThatMigratesIsResubscribedOnItsNewMaster() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "{u:alice}:b", "wsb:u:42", "b")
        // What 7102 pushed when `CLUSTER SETSLOT 5797 NODE <7101>` reached it: one push per channel.
        XCTAssertEqual(self.rig.machine.received(.sunsubscribe("{u:alice}:a"), from: N.m7102), [.refreshTopology])
        XCTAssertEqual(self.rig.machine.received(.sunsubscribe("{u:alice}:b"), from: N.m7102), [])
        XCTAssertFalse(self.rig.machine.isSubscribed("{u:alice}:a"))
        let moved = self.rig.machine.topologyChanged(try self.migrated())
        XCTAssertEqual(moved, [.ssubscribe(N.m7101, slot(5797), ["{u:alice}:a", "{u:alice}:b"])])
        XCTAssertEqual(self.rig.perform(moved).resubscribed, ["{u:alice}:a", "{u:alice}:b"])
        XCTAssertTrue(self.rig.machine.isSubscribed("wsb:u:42"))
    }

    func testASlotHeldForATopologyWaitsForIt() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "wsb:u:42")
        _ = self.rig.machine.received(.sunsubscribe("{u:alice}:a"), from: N.m7102)
        XCTAssertEqual(self.rig.want("{u:alice}:b"), [], "the slot waits for the topology")
        XCTAssertEqual(self.rig.machine.retry(), [], "a retry does not release it either; the refresh is out")
    }

    func testAPushCrossingOurOwnSUnsubscribeChangesNothing() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "{u:alice}:b", "wsb:u:42")
        XCTAssertEqual(self.rig.unwant("{u:alice}:b"), [.sunsubscribe(N.m7102, slot(5797), ["{u:alice}:b"])])
        // The slot's migration pushes b out before 7102 reads our SUNSUBSCRIBE, then 7102 answers it too.
        XCTAssertEqual(self.rig.machine.received(.sunsubscribe("{u:alice}:b"), from: N.m7102), [])
        XCTAssertEqual(self.rig.machine.received(.sunsubscribe("{u:alice}:b"), from: N.m7102), [])
        XCTAssertFalse(self.rig.machine.isSubscribed("{u:alice}:b"))
        XCTAssertTrue(self.rig.machine.isSubscribed("{u:alice}:a"), "until its own push comes")
    }

    func testAPushForAChannelNeverSubscribedIsIgnored() throws {
        _ = try self.rig.subscribed("{u:alice}:a")
        XCTAssertEqual(self.rig.machine.received(.sunsubscribe("{u:bob}"), from: N.m7102), [])
        XCTAssertEqual(self.rig.machine.received(.sunsubscribe("{u:alice}:a"), from: N.m7101), [], "not 7101's")
        XCTAssertTrue(self.rig.machine.isSubscribed("{u:alice}:a"))
    }

    func testAPushBeforeTheUnwantIsFlushedStillCountsAsALoss() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "wsb:u:42")
        self.rig.machine.unwant("{u:alice}:a")  // staged: still wanted until the flush
        XCTAssertEqual(self.rig.machine.received(.sunsubscribe("{u:alice}:a"), from: N.m7102), [.refreshTopology])
        XCTAssertEqual(self.rig.machine.flush(), [])
        XCTAssertEqual(self.rig.machine.topologyChanged(try self.migrated()), [], "nobody wants it any more")
    }

    func testAFailoverMovesChannelsToThePromotedReplicaAndDropsTheDeadMaster() throws {
        _ = try self.rig.subscribed("{u:dave}", "b")
        XCTAssertEqual(self.rig.machine.connectionLost(N.m7103), [.refreshTopology, .connect(N.m7103)])
        XCTAssertEqual(self.rig.machine.connectionLost(N.m7103), [.connect(N.m7103)], "the master is dead")
        // The topology after 7103 was SIGKILLed and 7105 promoted, as captured.
        let failover = try ClusterTopology(shardsReply: ClusterShardsCaptures.failover, askedHost: "127.0.0.1")
        let actions = self.rig.machine.topologyChanged(failover)
        XCTAssertEqual(actions, [.disconnect(N.m7103), .connect(N.r7105)])
        XCTAssertEqual(self.rig.perform(actions).resubscribed, ["{u:dave}"])
        XCTAssertEqual(self.rig.machine.linkedMasters, [N.m7101, N.r7105])
    }

    func testANewTopologyBeforeTheConnectionDropsStillMovesTheChannels() throws {
        _ = try self.rig.subscribed("{u:dave}", "b")
        let failover = try ClusterTopology(shardsReply: ClusterShardsCaptures.failover, askedHost: "127.0.0.1")
        let actions = self.rig.machine.topologyChanged(failover)
        XCTAssertEqual(actions, [.disconnect(N.m7103), .connect(N.r7105)])
        XCTAssertEqual(self.rig.perform(actions).resubscribed, ["{u:dave}"], "it may have missed messages")
    }

    func testRepliesToCommandsOfAnAbandonedSlotAreIgnored() throws {
        _ = try self.rig.subscribed("wsb:u:42", "b")
        XCTAssertEqual(self.rig.want("{u:alice}:a"), [.ssubscribe(N.m7102, slot(5797), ["{u:alice}:a"])])
        // Before 7102 answers, a topology says 5797 is on 7101.
        XCTAssertEqual(
            self.rig.machine.topologyChanged(try self.migrated()),
            [.ssubscribe(N.m7101, slot(5797), ["{u:alice}:a"])])
        XCTAssertEqual(self.rig.machine.received(.ssubscribe("{u:alice}:a"), from: N.m7102), [], "stale")
        XCTAssertFalse(self.rig.machine.isSubscribed("{u:alice}:a"))
        XCTAssertEqual(
            self.rig.machine.received(.ssubscribe("{u:alice}:a"), from: N.m7101), [.subscribed(["{u:alice}:a"])])
    }

    func testMovedToAnSSubscribeWaitsForANewTopology() throws {
        _ = try self.rig.subscribed("wsb:u:42")
        _ = self.rig.want("{u:alice}:a")
        XCTAssertEqual(
            self.rig.machine.received(.error("MOVED 5797 127.0.0.1:7101"), from: N.m7102), [.refreshTopology])
        XCTAssertEqual(self.rig.want("{u:alice}:b"), [], "not sent again to the master that refused it")
        let actions = self.rig.machine.topologyChanged(try self.migrated())
        XCTAssertEqual(actions, [.connect(N.m7101)])
        XCTAssertEqual(self.rig.perform(actions).ssubscribes.map(\.2), [["{u:alice}:a", "{u:alice}:b"]])
    }

    func testAStaleTopologyAfterMovedSendsTheCommandAgain() throws {
        _ = try self.rig.subscribed("wsb:u:42")
        _ = self.rig.want("{u:alice}:a")
        _ = self.rig.machine.received(.error("MOVED 5797 127.0.0.1:7101"), from: N.m7102)
        XCTAssertEqual(
            self.rig.machine.topologyChanged(try SubscriptionsRig.created()),
            [.ssubscribe(N.m7102, slot(5797), ["{u:alice}:a"])])
    }

    func testAnErrorOtherThanARedirectionWaitsForARetry() throws {
        _ = try self.rig.subscribed("wsb:u:42")
        _ = self.rig.want("{u:alice}:a")
        XCTAssertEqual(
            self.rig.machine.received(.error("CLUSTERDOWN The cluster is down"), from: N.m7102), [.retryLater])
        XCTAssertEqual(self.rig.want("{u:alice}:b"), [])
        XCTAssertEqual(self.rig.machine.retry(), [.ssubscribe(N.m7102, slot(5797), ["{u:alice}:a", "{u:alice}:b"])])
    }

    func testANewTopologyAlsoRetriesARefusedSlot() throws {
        _ = try self.rig.subscribed("wsb:u:42")
        _ = self.rig.want("{u:alice}:a")
        _ = self.rig.machine.received(.error("TRYAGAIN Multiple keys request during rehashing of slot"), from: N.m7102)
        XCTAssertEqual(
            self.rig.machine.topologyChanged(try SubscriptionsRig.created()),
            [.ssubscribe(N.m7102, slot(5797), ["{u:alice}:a"])])
    }

    func testASUnsubscribeRefusedWithMovedDropsTheSubscriptions() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "{u:alice}:b", "wsb:u:42")
        XCTAssertEqual(self.rig.unwant("{u:alice}:b"), [.sunsubscribe(N.m7102, slot(5797), ["{u:alice}:b"])])
        XCTAssertEqual(
            self.rig.machine.received(.error("MOVED 5797 127.0.0.1:7101"), from: N.m7102), [.refreshTopology])
        XCTAssertFalse(self.rig.machine.isSubscribed("{u:alice}:b"))
    }

    func testASUnsubscribeRefusedOtherwiseIsSentAgainOnRetry() throws {
        _ = try self.rig.subscribed("{u:alice}:a", "{u:alice}:b", "wsb:u:42")
        _ = self.rig.unwant("{u:alice}:b")
        XCTAssertEqual(self.rig.machine.received(.error("LOADING Redis is loading"), from: N.m7102), [.retryLater])
        XCTAssertTrue(self.rig.machine.isSubscribed("{u:alice}:b"))
        XCTAssertEqual(self.rig.machine.retry(), [.sunsubscribe(N.m7102, slot(5797), ["{u:alice}:b"])])
    }

    func testAWantedSlotWithoutAMasterIsAskedForAfterTheRetryDelay() throws {
        _ = self.rig.want("{u:alice}:a", "b")
        let partial = try ClusterTopology(shards: [.init(master: N.m7101, slots: [slots(0, 5460)])])
        XCTAssertEqual(self.rig.machine.topologyChanged(partial), [.connect(N.m7101), .retryLater])
        XCTAssertEqual(self.rig.machine.retry(), [.refreshTopology])
        XCTAssertEqual(self.rig.machine.topologyChanged(try SubscriptionsRig.created()), [.connect(N.m7102)])
    }

    func testAFailedTopologyReadIsRetried() {
        XCTAssertEqual(self.rig.want("b"), [.refreshTopology])
        XCTAssertEqual(self.rig.machine.topologyRefreshFailed(), [.retryLater])
        XCTAssertEqual(self.rig.machine.retry(), [.refreshTopology])
    }
}
