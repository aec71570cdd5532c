import CoreMetrics
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest
@testable import WSBridgeCore

final class RouterTests: XCTestCase {
    func testABatchReachesSessionsOnEveryEventLoop() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        let router = Router(eventLoops: loops, parser: EnvelopeParser(), logger: Logger(label: "test"))
        // User A on both loops, user B on the second only: each shard holds the sessions of its loop.
        let users = try loops.map { loop in
            try loop.submit { () -> [String] in
                let shard = router.shard(for: loop)
                shard.add(RecordingSession(user: "A"))
                if loop === loops[1] { shard.add(RecordingSession(user: "B")) }
                return shard.allSessions.map(\.user).sorted()
            }.wait()
        }
        XCTAssertEqual(users, [["A"], ["A", "B"]])

        router.dispatch([makeDelivery("to A", to: .user("A")), makeDelivery("to all", to: .all)])

        let received = try router.collect { shard in
            shard.allSessions.map { ($0.user, ($0 as! RecordingSession).received) }
        }.wait()
        let flat = received.flatMap { $0 }.sorted { $0.0 < $1.0 }
        XCTAssertEqual(flat.map(\.0), ["A", "A", "B"])
        XCTAssertEqual(flat[0].1, ["to A", "to all"])
        XCTAssertEqual(flat[1].1, ["to A", "to all"])
        XCTAssertEqual(flat[2].1, ["to all"])

        let snapshot = try router.snapshot().wait()
        XCTAssertEqual(snapshot.sessions, 3)
        XCTAssertEqual(snapshot.deliveries(from: .redis), 5)
    }

    func testInvalidMessagesAreCountedAndHarmNothing() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let router = Router(eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"))
        try loop.submit { router.shard(for: loop).add(RecordingSession(user: "A")) }.wait()

        router.route(
            [ByteBuffer(string: "not json"), ByteBuffer(string: #"{"user":"A","data":"ok"}"#), ByteBuffer(string: "[1]")],
            source: .redis
        )
        let received = try router.collect { shard in
            shard.allSessions.flatMap { ($0 as? RecordingSession)?.received ?? [] }
        }.wait().flatMap { $0 }
        XCTAssertEqual(received, ["ok"])
        XCTAssertEqual(router.invalidMessageCount, 2)
    }

    func testArrivalIsReadFromTheInjectedClockSoLatencyOnAnEmbeddedLoopIsExact() {
        let loop = EmbeddedEventLoop()
        let timer = RecordingTimer()
        let router = Router(
            eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"),
            deliveryLatency: CoreMetrics.Timer(label: "test", dimensions: [], handler: timer),
            writeCoalesceWindow: .milliseconds(20), clock: { loop.now })
        router.shard(for: loop).add(RecordingSession(user: "A"))
        loop.advanceTime(by: .seconds(3))
        router.route([ByteBuffer(string: #"{"user":"A","data":"hi"}"#)], source: .redis)
        loop.advanceTime(by: .milliseconds(20))
        XCTAssertEqual(timer.values.withLockedValue { $0 }, [20_000_000], "arrived at the loop's 3 s, flushed at 3.02 s")
    }
}
