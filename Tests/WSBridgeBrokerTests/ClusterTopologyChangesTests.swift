import WSBridgeBroker
import XCTest

/// Changes between the topologies captured on a real cluster, in the order they happened.
final class ClusterTopologyChangesTests: XCTestCase {
    private typealias N = CapturedNodes

    private func topology(_ reply: RESPValue) throws -> ClusterTopology {
        try ClusterTopology(shardsReply: reply, askedHost: "127.0.0.1")
    }

    func testAReshardMovesItsSlotsAndNoMaster() throws {
        let changes = try self.topology(ClusterShardsCaptures.split).changes(
            since: self.topology(ClusterShardsCaptures.created))
        XCTAssertEqual(changes.movedSlots, [.init(slots: slots(10923, 11022), from: N.m7103, to: N.m7101)])
        XCTAssertEqual(changes.mastersAdded, [])
        XCTAssertEqual(changes.mastersRemoved, [])
        XCTAssertEqual(changes.movedSlotCount, 100)
        XCTAssertFalse(changes.isEmpty)
    }

    func testAFailoverReplacesTheMasterOfItsSlots() throws {
        let changes = try self.topology(ClusterShardsCaptures.failover).changes(
            since: self.topology(ClusterShardsCaptures.split))
        XCTAssertEqual(changes.movedSlots, [.init(slots: slots(11023, 16383), from: N.m7103, to: N.r7105)])
        XCTAssertEqual(changes.mastersAdded, [N.r7105])
        XCTAssertEqual(changes.mastersRemoved, [N.m7103])
    }

    func testAdjacentRangesThatWentToDifferentMastersStayApart() throws {
        let changes = try self.topology(ClusterShardsCaptures.failover).changes(
            since: self.topology(ClusterShardsCaptures.created))
        XCTAssertEqual(
            changes.movedSlots,
            [
                .init(slots: slots(10923, 11022), from: N.m7103, to: N.m7101),
                .init(slots: slots(11023, 16383), from: N.m7103, to: N.r7105),
            ])
        XCTAssertEqual(changes.movedSlotCount, 16383 - 10923 + 1)
    }

    func testAFailingMasterAndALoadingReplicaAreNoChange() throws {
        // Between the two captures 7105 was SIGKILLed (health: fail) and 7103 came back as its replica,
        // still loading: neither shows, and no slot changed master.
        let failover = try self.topology(ClusterShardsCaptures.failover)
        let failing = try self.topology(ClusterShardsCaptures.failing)
        XCTAssertEqual(failing, failover)
        XCTAssertTrue(failing.changes(since: failover).isEmpty)
        XCTAssertEqual(failing.changes(since: failover), ClusterTopology.Changes())
    }

    func testOnlyMastersAndSlotsAreCompared() throws {
        let a = ClusterNode(id: "a", host: "h", port: 1)
        let replica = ClusterNode(id: "r", host: "h", port: 2)
        let bare = try ClusterTopology(shards: [.init(master: a, slots: [slots(0, 16383)])])
        let replicated = try ClusterTopology(shards: [.init(master: a, replicas: [replica], slots: [slots(0, 16383)])])
        XCTAssertNotEqual(bare, replicated)
        XCTAssertTrue(replicated.changes(since: bare).isEmpty)
    }

    func testSlotsThatLoseTheirMasterMoveToNone() throws {
        let a = ClusterNode(id: "a", host: "h", port: 1)
        let b = ClusterNode(id: "b", host: "h", port: 2)
        let before = try ClusterTopology(shards: [
            .init(master: a, slots: [slots(0, 99)]), .init(master: b, slots: [slots(100, 16383)]),
        ])
        let after = try ClusterTopology(shards: [.init(master: a, slots: [slots(0, 49)])])
        let changes = after.changes(since: before)
        XCTAssertEqual(
            changes.movedSlots,
            [.init(slots: slots(50, 99), from: a, to: nil), .init(slots: slots(100, 16383), from: b, to: nil)])
        XCTAssertEqual(changes.mastersRemoved, [b])
        XCTAssertEqual(
            before.changes(since: after).movedSlots,
            [.init(slots: slots(50, 99), from: nil, to: a), .init(slots: slots(100, 16383), from: nil, to: b)])
        XCTAssertEqual(before.changes(since: after).mastersAdded, [b])
    }

    func testAMasterOnANewAddressIsAnotherMaster() throws {
        let old = ClusterNode(id: "a", host: "h", port: 1)
        let moved = ClusterNode(id: "a", host: "h", port: 9)
        let changes = try ClusterTopology(shards: [.init(master: moved, slots: [slots(0, 16383)])])
            .changes(since: ClusterTopology(shards: [.init(master: old, slots: [slots(0, 16383)])]))
        XCTAssertEqual(
            changes,
            .init(
                mastersAdded: [moved], mastersRemoved: [old],
                movedSlots: [.init(slots: slots(0, 16383), from: old, to: moved)]))
    }

    func testAMoveDescribesItsRangeAndAddresses() {
        let move = ClusterTopology.SlotMove(slots: slots(1, 2), from: N.m7101, to: nil)
        XCTAssertEqual(move.description, "1-2: 127.0.0.1:7101 → none")
    }
}
