import Logging
import NIOCore
import NIOEmbedded
import XCTest
@testable import WSBridgeCore

/// Presence counting and receipt tallies through a real router and its shards (two loops).
final class RouterReceiptTests: XCTestCase {
    func testEverySessionAddedOrRemovedOnAnyShardIsCountedInTheLedger() {
        let loops = [EmbeddedEventLoop(), EmbeddedEventLoop()]
        let ledger = PresenceLedger()
        let router = Router(eventLoops: loops, parser: EnvelopeParser(), logger: Logger(label: "test"), presence: ledger)
        let first = RecordingSession(user: "alice")
        let second = RecordingSession(user: "alice")
        router.shard(for: loops[0]).add(first)
        router.shard(for: loops[1]).add(second)
        router.shard(for: loops[1]).add(RecordingSession(user: "bob"))
        XCTAssertEqual(ledger.sessions(of: ["alice", "bob", "carol"]), [2, 1, 0])
        router.shard(for: loops[0]).remove(first)
        router.shard(for: loops[0]).remove(first)
        XCTAssertEqual(ledger.sessions(of: ["alice"]), [1], "a session removed twice is counted once")
    }

    func testAMessageAskingForAReceiptIsCountedOverAllShardsOnce() {
        let loops = [EmbeddedEventLoop(), EmbeddedEventLoop()]
        let counted = LockedList<String>()
        let router = Router(
            eventLoops: loops, parser: EnvelopeParser(), logger: Logger(label: "test"),
            receiptCounted: { request, total, users in
                counted.append("\(request.id) \(total) \(users.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
            })
        router.shard(for: loops[0]).add(RecordingSession(user: "alice"))
        router.shard(for: loops[1]).add(RecordingSession(user: "alice"))
        router.shard(for: loops[1]).add(RecordingSession(user: "bob"))
        router.route([ByteBuffer(string: #"{"wsr":"h1 7 h2","users":["alice","bob","carol"],"data":"hi"}"#)], source: .redis)
        router.route([ByteBuffer(string: #"{"user":"alice","data":"no receipt"}"#)], source: .redis)
        loops.forEach { $0.run() }
        XCTAssertEqual(counted.items, [#"7 3 ["alice=2", "bob=1"]"#])
        router.route([ByteBuffer(string: #"{"wsr":"h1 8 *","all":true,"data":"hi"}"#)], source: .redis)
        loops.forEach { $0.run() }
        XCTAssertEqual(counted.items.last, "8 3 []")
    }

    func testAPieceOfAMessageCountsEveryUserItWasPublishedForOncePerShard() {
        let loop = EmbeddedEventLoop()
        let counted = LockedList<String>()
        let router = Router(eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"))
        let shard = router.shard(for: loop)
        shard.add(RecordingSession(user: "alice"))
        shard.add(RecordingSession(user: "bob"))
        var delivery = DeliveryFactory.make("hi", to: .users(["alice", "bob"]))
        delivery.tally = ReceiptTally(request: ReceiptRequest(replyTo: "h1", id: 3, hosts: []), users: ["alice", "bob"], shards: 1) {
            _, total, users in counted.append("\(total) \(users.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
        }
        // The stream tracker sent alice's piece now and holds bob's for a catch-up: bob is counted
        // all the same (his session gets it after the catch-up), and bob's later piece counts nothing.
        shard.deliver([delivery.restricted(toUsers: [0])])
        shard.deliver([delivery.restricted(toUsers: [1])])
        XCTAssertEqual(counted.items, [#"2 ["alice=1", "bob=1"]"#])
    }
}
