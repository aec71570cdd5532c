import Logging
import NIOCore
import NIOEmbedded
import XCTest
@testable import WSBridgeCore

final class ShardTests: XCTestCase {
    private func makeShard() -> (Shard, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let router = Router(eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"))
        return (router.shard(for: loop), loop)
    }

    func testEachSessionOfAUserGetsEachMessageOnce() {
        let (shard, _) = self.makeShard()
        let a1 = RecordingSession(user: "A")
        let a2 = RecordingSession(user: "A")
        let b = RecordingSession(user: "B")
        [a1, a2, b].forEach(shard.add)
        shard.deliver([makeDelivery("one", to: .user("A")), makeDelivery("two", to: .users(["A", "B"]))])
        XCTAssertEqual(a1.received, ["one", "two"])
        XCTAssertEqual(a2.received, ["one", "two"])
        XCTAssertEqual(b.received, ["two"])
    }

    func testABatchIsFlushedOncePerRecipient() {
        let (shard, _) = self.makeShard()
        let a = RecordingSession(user: "A")
        let b = RecordingSession(user: "B")
        shard.add(a)
        shard.add(b)
        shard.deliver((0..<5).map { makeDelivery("m\($0)", to: .all) })
        XCTAssertEqual(a.writesPerFlush, [5])
        XCTAssertEqual(b.writesPerFlush, [5])
    }

    func testALoneMessageIsWrittenAndFlushedInOnePass() {
        final class OnePass: Session {
            var onePass = 0
            var separate = 0
            override func deliver(_ delivery: Delivery) { self.separate += 1 }
            override func deliverAndFlush(_ delivery: Delivery) { self.onePass += 1 }
        }
        let (shard, _) = self.makeShard()
        let a = OnePass(user: "A")
        let b = OnePass(user: "B")
        shard.add(a)
        shard.add(b)
        shard.deliver([makeDelivery("lone", to: .all)])
        XCTAssertEqual([a.onePass, a.separate, b.onePass, b.separate], [1, 0, 1, 0])
        XCTAssertEqual(shard.counters.flushes, 2)
        shard.deliver([makeDelivery("one", to: .all), makeDelivery("two", to: .user("A"))])
        XCTAssertEqual([a.onePass, a.separate, b.onePass, b.separate], [1, 2, 1, 1], "a batch of two: write, then flush once")
        XCTAssertEqual(shard.counters.flushes, 4)
    }

    func testSessionsNotAddressedAreNotFlushed() {
        let (shard, _) = self.makeShard()
        let a = RecordingSession(user: "A")
        let b = RecordingSession(user: "B")
        shard.add(a)
        shard.add(b)
        shard.deliver([makeDelivery("x", to: .user("A"))])
        XCTAssertEqual(b.flushes, 0)
        XCTAssertEqual(a.flushes, 1)
    }

    func testRemovingASessionKeepsTheOthersReachable() {
        let (shard, _) = self.makeShard()
        let sessions = (0..<10).map { RecordingSession(user: "u\($0 % 3)") }
        sessions.forEach(shard.add)
        shard.remove(sessions[0])
        shard.remove(sessions[5])
        shard.remove(sessions[5])  // twice is harmless
        XCTAssertEqual(shard.sessionCount, 8)
        shard.deliver([makeDelivery("all", to: .all)])
        for (index, session) in sessions.enumerated() {
            XCTAssertEqual(session.received, index == 0 || index == 5 ? [] : ["all"], "session \(index)")
        }
        shard.deliver([makeDelivery("u0", to: .user("u0"))])
        XCTAssertEqual(sessions[3].received, ["all", "u0"])
        XCTAssertEqual(sessions[0].received, [])
    }

    func testAUserDisappearsWithItsLastSession() {
        let (shard, _) = self.makeShard()
        let a1 = RecordingSession(user: "A")
        let a2 = RecordingSession(user: "A")
        shard.add(a1)
        shard.add(a2)
        XCTAssertEqual(shard.userCount, 1)
        shard.remove(a1)
        XCTAssertTrue(shard.holds(user: "A"))
        shard.remove(a2)
        XCTAssertFalse(shard.holds(user: "A"))
        XCTAssertEqual(shard.userCount, 0)
    }

    func testDeliveriesAreCountedBySource() {
        let (shard, _) = self.makeShard()
        shard.add(RecordingSession(user: "A"))
        shard.add(RecordingSession(user: "B"))
        shard.deliver([makeDelivery("x", to: .all, source: .redis), makeDelivery("y", to: .user("A"), source: .app)])
        XCTAssertEqual(shard.counters.deliveries[.redis], 2)
        XCTAssertEqual(shard.counters.deliveries[.app], 1)
    }

    func testHeartbeatsReachEverySession() {
        final class Beating: Session {
            var beats = 0
            override func heartbeat(now: NIODeadline) { self.beats += 1 }
        }
        let (shard, loop) = self.makeShard()
        let sessions = [Beating(user: "A"), Beating(user: "B")]
        sessions.forEach(shard.add)
        shard.startHeartbeat(interval: .seconds(1))
        loop.advanceTime(by: .milliseconds(3500))
        XCTAssertEqual(sessions.map(\.beats), [3, 3])
        shard.stopHeartbeat()
        loop.advanceTime(by: .seconds(5))
        XCTAssertEqual(sessions.map(\.beats), [3, 3])
    }
}
