import WSBridgeBroker
import XCTest

/// Topologies read from replies captured on a real cluster (``ClusterShardsCaptures``,
/// ``ClusterSlotsCaptures``); malformed replies are in ``ClusterTopologyErrorTests``.
final class ClusterTopologyTests: XCTestCase {
    private typealias N = CapturedNodes

    private func shards(_ reply: RESPValue, askedHost: String = "127.0.0.1") throws -> ClusterTopology {
        try ClusterTopology(shardsReply: reply, askedHost: askedHost)
    }

    private func slotsReply(_ reply: RESPValue, askedHost: String = "127.0.0.1") throws -> ClusterTopology {
        try ClusterTopology(slotsReply: reply, askedHost: askedHost)
    }

    func testAFreshClusterHasThreeShardsWithOneReplicaEach() throws {
        let topology = try self.shards(ClusterShardsCaptures.created)
        XCTAssertEqual(
            topology.shards,
            [
                .init(master: N.m7101, replicas: [N.r7106], slots: [slots(0, 5460)]),
                .init(master: N.m7102, replicas: [N.r7104], slots: [slots(5461, 10922)]),
                .init(master: N.m7103, replicas: [N.r7105], slots: [slots(10923, 16383)]),
            ])
        XCTAssertEqual(topology.masters, [N.m7101, N.m7102, N.m7103])
        XCTAssertTrue(topology.coversAllSlots)
        XCTAssertEqual(topology.coveredSlotCount, 16384)
    }

    func testEachSlotIsLookedUpToItsMasterAtEveryBoundary() throws {
        let topology = try self.shards(ClusterShardsCaptures.created)
        let expected: [(Int, ClusterNode)] = [
            (0, N.m7101), (1, N.m7101), (5460, N.m7101), (5461, N.m7102), (10922, N.m7102), (10923, N.m7103),
            (16383, N.m7103),
        ]
        for (slot, master) in expected {
            XCTAssertEqual(topology.master(for: HashSlot(slot)!), master, "slot \(slot)")
        }
        // {u:alice} is in slot 5797 (CLUSTER KEYSLOT), which 7102 served: it answered SSUBSCRIBE there.
        XCTAssertEqual(topology.master(forKey: "wsb:{u:alice}:m"), N.m7102)
    }

    func testSlotsAndShardsRepliesGiveTheSameTopology() throws {
        XCTAssertEqual(
            try self.slotsReply(ClusterSlotsCaptures.created), try self.shards(ClusterShardsCaptures.created))
        XCTAssertEqual(try self.slotsReply(ClusterSlotsCaptures.split), try self.shards(ClusterShardsCaptures.split))
        XCTAssertEqual(
            try self.slotsReply(ClusterSlotsCaptures.failover), try self.shards(ClusterShardsCaptures.failover))
    }

    func testAMasterWithTwoRangesIsOneShard() throws {
        let topology = try self.shards(ClusterShardsCaptures.split)
        XCTAssertEqual(
            topology.shards.first,
            .init(master: N.m7101, replicas: [N.r7106], slots: [slots(0, 5460), slots(10923, 11022)]))
        XCTAssertEqual(topology.master(for: HashSlot(10922)!), N.m7102)
        XCTAssertEqual(topology.master(for: HashSlot(10923)!), N.m7101)
        XCTAssertEqual(topology.master(for: HashSlot(11022)!), N.m7101)
        XCTAssertEqual(topology.master(for: HashSlot(11023)!), N.m7103)
        XCTAssertEqual(
            try self.slotsReply(ClusterSlotsCaptures.split).shards.count, 3, "two SLOTS entries of 7101 joined")
    }

    func testAFailedMasterWithoutSlotsIsLeftOut() throws {
        let topology = try self.shards(ClusterShardsCaptures.failover)
        XCTAssertEqual(topology.masters, [N.m7101, N.m7102, N.r7105])
        XCTAssertEqual(topology.master(for: HashSlot(16383)!), N.r7105)
        XCTAssertEqual(topology.shards.last?.replicas, [], "the promoted replica's old master is dead")
        XCTAssertTrue(topology.coversAllSlots)
    }

    func testAFailingMasterKeepsItsSlotsAndALoadingReplicaIsLeftOut() throws {
        let topology = try self.shards(ClusterShardsCaptures.failing)
        XCTAssertEqual(topology.master(for: HashSlot(12000)!), N.r7105, "health: fail, but no replica took over yet")
        XCTAssertEqual(topology.shards.first(where: { $0.master == N.r7105 })?.replicas, [], "7103 was loading")
    }

    func testAnEndpointOfQuestionMarkFallsBackToTheIP() throws {
        let named = ClusterNode(id: N.m7101.id, host: "node-a.local", port: 7101)
        for topology in [
            try self.shards(ClusterShardsCaptures.hostname), try self.slotsReply(ClusterSlotsCaptures.hostname),
        ] {
            XCTAssertEqual(topology.masters, [N.m7102, N.m7103, named])
            XCTAssertEqual(topology.shards.first?.replicas, [N.r7106])
        }
    }

    func testAnUnknownEndpointIsTheHostTheCommandWasSentTo() throws {
        let asked = "10.1.2.3"
        for topology in [
            try self.shards(ClusterShardsCaptures.unknownEndpoint, askedHost: asked),
            try self.slotsReply(ClusterSlotsCaptures.unknownEndpoint, askedHost: asked),
        ] {
            XCTAssertEqual(topology.masters.map(\.host), [asked, asked, asked])
            XCTAssertEqual(topology.masters.map(\.port), [7101, 7102, 7103])
            XCTAssertEqual(topology.shards.flatMap(\.replicas).map(\.host), [asked, asked, asked])
        }
    }

    func testAnEmptyReplyIsATopologyWithoutSlots() throws {
        let topology = try self.shards(.array([]))
        XCTAssertEqual(topology.shards, [])
        XCTAssertEqual(topology.coveredSlotCount, 0)
        XCTAssertFalse(topology.coversAllSlots)
        XCTAssertNil(topology.master(for: .first))
    }

    func testSlotBoundsAsStringsAndTLSPortsAreRead() throws {
        let reply: RESPValue = .array([
            .array([
                bulk("slots"), .array([bulk("0"), bulk("99")]), bulk("nodes"),
                .array([
                    .array([
                        bulk("id"), bulk("a"), bulk("tls-port"), .integer(7443), bulk("endpoint"), bulk("h"),
                        bulk("role"),
                        bulk("master"),
                    ])
                ]),
            ])
        ])
        let topology = try self.shards(reply)
        XCTAssertEqual(
            topology.shards, [.init(master: ClusterNode(id: "a", host: "h", port: 7443), slots: [slots(0, 99)])])
        XCTAssertEqual(topology.coveredSlotCount, 100)
        XCTAssertNil(topology.master(for: HashSlot(100)!))
    }

    func testASlotsNodeWithoutAnIdIsNamedByItsAddress() throws {
        let reply: RESPValue = .array([
            .array([.integer(0), .integer(16383), .array([bulk("10.0.0.1"), .integer(6379)])])
        ])
        XCTAssertEqual(
            try self.slotsReply(reply).masters, [ClusterNode(id: "10.0.0.1:6379", host: "10.0.0.1", port: 6379)])
    }

    func testShardsOfOneMasterAreJoinedAndAdjacentRangesMerged() throws {
        let a = ClusterNode(id: "a", host: "h", port: 1)
        let topology = try ClusterTopology(shards: [
            .init(master: a, slots: [slots(10, 19)]), .init(master: a, slots: [slots(0, 9), slots(30, 39)]),
            .init(master: ClusterNode(id: "b", host: "h", port: 2), slots: []),
        ])
        XCTAssertEqual(topology.shards, [.init(master: a, slots: [slots(0, 19), slots(30, 39)])])
        XCTAssertNil(topology.master(for: HashSlot(25)!))
        XCTAssertEqual(topology.master(for: HashSlot(39)!), a)
    }
}
