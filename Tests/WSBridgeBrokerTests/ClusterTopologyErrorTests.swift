import WSBridgeBroker
import XCTest

/// Malformed `CLUSTER SHARDS` and `CLUSTER SLOTS` replies are refused whole, saying what and where.
final class ClusterTopologyErrorTests: XCTestCase {
    private func shardsError(_ reply: RESPValue, file: StaticString = #filePath, line: UInt = #line)
        -> ClusterReplyError?
    {
        do {
            let topology = try ClusterTopology(shardsReply: reply, askedHost: "127.0.0.1")
            XCTFail("accepted: \(topology)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func slotsError(_ reply: RESPValue, file: StaticString = #filePath, line: UInt = #line)
        -> ClusterReplyError?
    {
        do {
            let topology = try ClusterTopology(slotsReply: reply, askedHost: "127.0.0.1")
            XCTFail("accepted: \(topology)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private let master = shardNode(id: "a")

    func testAnErrorReplyOrNullIsNotATopology() {
        let disabled = RESPValue.error("ERR This instance has cluster support disabled")
        XCTAssertEqual(
            self.shardsError(disabled),
            .malformed("the reply is an error reply: ERR This instance has cluster support disabled"))
        XCTAssertEqual(
            self.slotsError(disabled)?.description,
            "malformed cluster topology reply: the reply is an error reply: "
                + "ERR This instance has cluster support disabled")
        XCTAssertEqual(self.shardsError(.array(nil)), .malformed("the reply is not an array"))
        XCTAssertEqual(self.shardsError(.integer(3)), .malformed("the reply is not an array"))
    }

    func testMissingOrMistypedShardFieldsAreNamed() {
        XCTAssertEqual(
            self.shardsError(.array([.array([bulk("nodes"), .array([])])])), .malformed("shard 0 has no \"slots\""))
        XCTAssertEqual(
            self.shardsError(.array([.array([bulk("slots")])])), .malformed("shard 0 has an odd number of elements"))
        XCTAssertEqual(
            self.shardsError(
                .array([shard([], []), .array([bulk("slots"), .array([]), bulk("nodes"), .integer(1)])])),
            .malformed("shard 1 nodes is not an array"))
        XCTAssertEqual(
            self.shardsError(.array([.array([.integer(1), bulk("x")])])), .malformed("shard 0 key 0 is not a string"))
    }

    func testBadSlotBoundsAreRefused() {
        XCTAssertEqual(
            self.shardsError(.array([shard([0], [self.master])])),
            .malformed("shard 0 slots have an odd number of bounds"))
        XCTAssertEqual(
            self.shardsError(.array([shard([0, 16384], [self.master])])),
            .malformed("shard 0: slot range 0-16384 is not within 0...16383 in order"))
        XCTAssertEqual(
            self.shardsError(.array([shard([9, 3], [self.master])])),
            .malformed("shard 0: slot range 9-3 is not within 0...16383 in order"))
        XCTAssertEqual(
            self.shardsError(
                .array([
                    .array([bulk("slots"), .array([bulk("x"), .integer(3)]), bulk("nodes"), .array([self.master])])
                ])),
            .malformed("shard 0 slot bound is not an integer"))
    }

    func testBadNodesAreNamedWithTheirShard() {
        XCTAssertEqual(
            self.shardsError(.array([shard([0, 1], [shardNode(id: "a", port: bulk("x"))])])),
            .malformed("shard 0, node 0 port is not an integer"))
        XCTAssertEqual(
            self.shardsError(.array([shard([0, 1], [shardNode(id: "a", port: .integer(0))])])),
            .malformed("shard 0, node 0: port 0 is not in 1...65535"))
        XCTAssertEqual(
            self.shardsError(.array([shard([0, 1], [self.master, shardNode(id: "b", role: "arbiter")])])),
            .malformed("shard 0, node 1: role \"arbiter\" is neither master nor replica"))
        XCTAssertEqual(
            self.shardsError(
                .array([shard([0, 1], [.array([bulk("port"), .integer(1), bulk("role"), bulk("master")])])])),
            .malformed("shard 0, node 0 has no \"id\""))
    }

    func testAShardWithSlotsNeedsExactlyOneMaster() {
        XCTAssertEqual(
            self.shardsError(.array([shard([0, 9], [shardNode(id: "r", role: "replica")])])),
            .noMaster("shard 0 serves 1 slot range(s) with 0 masters"))
        XCTAssertEqual(
            self.shardsError(.array([shard([0, 9, 20, 29], [self.master, shardNode(id: "b")])])),
            .noMaster("shard 0 serves 2 slot range(s) with 2 masters"))
        // Without slots, the same shard is simply not kept.
        XCTAssertEqual(try ClusterTopology(shardsReply: .array([shard([], [])]), askedHost: "h").shards, [])
    }

    func testTwoShardsClaimingOneSlotAreRefused() {
        let error = self.shardsError(
            .array([
                shard([0, 100], [shardNode(id: "a")]), shard([100, 16383], [shardNode(id: "b", port: .integer(2))]),
            ]))
        XCTAssertEqual(error, .overlappingSlots("slot 100 is served by 127.0.0.1:7101 (a) and by 127.0.0.1:2 (b)"))
    }

    func testAMasterWithoutAnyAddressIsRefusedAReplicaDropped() throws {
        XCTAssertEqual(
            self.shardsError(.array([shard([0, 1], [shardNode(id: "a", ip: nil, endpoint: "?")])])),
            .unusableEndpoint("shard 0, node 0: master a has endpoint \"?\" and no ip"))
        let topology = try ClusterTopology(
            shardsReply: .array([
                shard([0, 1], [self.master, shardNode(id: "r", ip: "", endpoint: "?", role: "replica")])
            ]),
            askedHost: "h")
        XCTAssertEqual(topology.shards.first?.replicas, [])
    }

    func testMalformedSlotsRepliesAreRefused() {
        XCTAssertEqual(
            self.slotsError(.array([.array([.integer(0), .integer(1)])])),
            .malformed("range 0 has 2 elements, expected start, end and a master"))
        XCTAssertEqual(
            self.slotsError(.array([.array([.integer(0), .integer(1), .array([bulk("h")])])])),
            .malformed("range 0 master has 1 elements, expected host and port"))
        XCTAssertEqual(
            self.slotsError(
                .array([.array([.integer(0), .integer(1), .array([bulk("?"), .integer(7), bulk("id")])])])),
            .unusableEndpoint("range 0: the master has endpoint \"?\" and no ip"))
        XCTAssertEqual(
            self.slotsError(
                .array([.array([.integer(0), .integer(1), .array([bulk("h"), .integer(7), .integer(5)])])])),
            .malformed("range 0 master id is not a string"))
        XCTAssertEqual(
            self.slotsError(
                .array([
                    .array([
                        .integer(0), .integer(1), .array([bulk("h"), .integer(7), bulk("a"), .array([bulk("ip")])]),
                    ])
                ])),
            .malformed("range 0 master metadata has an odd number of elements"))
    }
}
