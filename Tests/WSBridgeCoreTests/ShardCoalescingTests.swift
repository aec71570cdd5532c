import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest

@testable import WSBridgeCore

/// The write-coalescing window: one delayed flush per shard instead of one flush per batch.
final class ShardCoalescingTests: XCTestCase {
    private func makeShard(window: TimeAmount, timer: RecordingTimer? = nil) -> (Shard, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let latency = timer.map { CoreMetrics.Timer(label: "test", dimensions: [], handler: $0) }
        let router = Router(
            eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"), deliveryLatency: latency,
            writeCoalesceWindow: window)
        return (router.shard(for: loop), loop)
    }

    func testBatchesWithinTheWindowGoOutInOneFlushPerSessionWhenItEnds() {
        let (shard, loop) = self.makeShard(window: .milliseconds(20))
        let a = RecordingSession(user: "A")
        let b = RecordingSession(user: "B")
        shard.add(a)
        shard.add(b)
        shard.deliver([makeDelivery("1", to: .all)])
        loop.advanceTime(by: .milliseconds(5))
        shard.deliver([makeDelivery("2", to: .user("A"))])
        loop.advanceTime(by: .milliseconds(5))
        shard.deliver([makeDelivery("3", to: .all), makeDelivery("4", to: .user("A"))])
        loop.advanceTime(by: .milliseconds(9))
        XCTAssertEqual(a.received, ["1", "2", "3", "4"], "written at once")
        XCTAssertEqual(a.flushes, 0, "not flushed before the window ends")
        XCTAssertEqual(b.flushes, 0)

        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(a.writesPerFlush, [4])
        XCTAssertEqual(b.writesPerFlush, [2])
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(a.flushes, 1, "one timer, one flush")
        XCTAssertEqual(shard.counters.flushes, 2)
    }

    func testWithoutAWindowEveryBatchIsFlushedAtOnce() {
        let (shard, loop) = self.makeShard(window: .zero)
        let a = RecordingSession(user: "A")
        shard.add(a)
        for text in ["1", "2", "3"] {
            shard.deliver([makeDelivery(text, to: .user("A"))])
            XCTAssertEqual(a.writesPerFlush.last, 1, text)
        }
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(a.writesPerFlush, [1, 1, 1])
        XCTAssertEqual(shard.counters.flushes, 3)
    }

    func testNoMessageWaitsLongerThanTheWindow() {
        let (shard, loop) = self.makeShard(window: .milliseconds(20))
        let a = RecordingSession(user: "A")
        shard.add(a)
        shard.deliver([makeDelivery("1", to: .user("A"))])
        loop.advanceTime(by: .milliseconds(20))
        XCTAssertEqual(a.writesPerFlush, [1])

        loop.advanceTime(by: .milliseconds(5))
        shard.deliver([makeDelivery("2", to: .user("A"))])
        loop.advanceTime(by: .milliseconds(19))
        XCTAssertEqual(a.flushes, 1, "the next window starts with the next write")
        loop.advanceTime(by: .milliseconds(1))
        XCTAssertEqual(a.writesPerFlush, [1, 1])
    }

    func testABatchWithoutRecipientsHereSchedulesNothing() {
        let (shard, loop) = self.makeShard(window: .milliseconds(20))
        let a = RecordingSession(user: "A")
        shard.add(a)
        shard.deliver([makeDelivery("elsewhere", to: .user("Z"))])
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(shard.counters.flushes, 0)
        XCTAssertEqual(a.flushes, 0)
    }

    func testLatencyIsRecordedWhenTheDelayedFlushRuns() throws {
        let timer = RecordingTimer()
        let (shard, loop) = self.makeShard(window: .milliseconds(20), timer: timer)
        shard.add(RecordingSession(user: "A"))
        shard.add(RecordingSession(user: "B"))
        let arrived = loop.now
        shard.deliver([makeDelivery("1", to: .all, arrivedAt: arrived), makeDelivery("nobody", to: .user("Z"), arrivedAt: arrived)])
        loop.advanceTime(by: .milliseconds(5))
        shard.deliver([makeDelivery("2", to: .user("B"), arrivedAt: loop.now)])
        XCTAssertEqual(timer.count, 0, "nothing recorded before the flush")

        // The shard reads its loop's clock: the time spent waiting for the window is what it records.
        loop.advanceTime(by: .milliseconds(15))
        let values = timer.values.withLockedValue { $0 }
        XCTAssertEqual(values, [20_000_000, 15_000_000], "once per message written here, at its flush, wait included")
    }

    func testASessionRemovedBeforeTheWindowEndsIsNotFlushed() {
        let (shard, loop) = self.makeShard(window: .milliseconds(20))
        let a = RecordingSession(user: "A")
        let b = RecordingSession(user: "B")
        shard.add(a)
        shard.add(b)
        shard.deliver([makeDelivery("1", to: .all)])
        shard.remove(a)
        loop.advanceTime(by: .milliseconds(20))
        XCTAssertEqual(a.flushes, 0, "whoever removed it flushes or closes it")
        XCTAssertEqual(b.writesPerFlush, [1])
        XCTAssertEqual(shard.counters.flushes, 1)
    }

    func testASessionRemovedAndAddedAgainIsFlushedOnce() {
        let (shard, loop) = self.makeShard(window: .milliseconds(20))
        let a = RecordingSession(user: "A")
        shard.add(a)
        shard.deliver([makeDelivery("1", to: .user("A"))])
        shard.remove(a)
        shard.add(a)
        shard.deliver([makeDelivery("2", to: .user("A"))])
        loop.advanceTime(by: .milliseconds(20))
        XCTAssertEqual(a.writesPerFlush, [2])
    }

    func testASessionThatLeavesWhileWrittenToIsNotFlushed() {
        final class Leaving: Session {
            weak var shard: Shard?
            var flushes = 0
            override func deliver(_ delivery: Delivery) { self.shard?.remove(self) }
            override func flush() { self.flushes += 1 }
        }
        for window in [TimeAmount.zero, .milliseconds(20)] {
            let (shard, loop) = self.makeShard(window: window)
            let leaving = Leaving(user: "A")
            leaving.shard = shard
            shard.add(leaving)
            shard.deliver([makeDelivery("1", to: .user("A"))])
            loop.advanceTime(by: .milliseconds(20))
            XCTAssertEqual(leaving.flushes, 0, "window \(window)")
            XCTAssertEqual(shard.counters.flushes, 0, "window \(window)")
        }
    }

    func testTurningTheWindowOffFlushesWhatWaits() {
        let (shard, loop) = self.makeShard(window: .milliseconds(20))
        let a = RecordingSession(user: "A")
        shard.add(a)
        shard.deliver([makeDelivery("1", to: .user("A"))])
        shard.setWriteCoalesceWindow(.zero)
        XCTAssertEqual(a.writesPerFlush, [1])
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(a.flushes, 1, "the cancelled timer does not flush again")
        shard.deliver([makeDelivery("2", to: .user("A"))])
        XCTAssertEqual(a.writesPerFlush, [1, 1])
    }

    func testTurningTheWindowOnHoldsTheNextBatch() {
        let (shard, loop) = self.makeShard(window: .zero)
        let a = RecordingSession(user: "A")
        shard.add(a)
        shard.setWriteCoalesceWindow(.milliseconds(20))
        XCTAssertEqual(shard.writeCoalesceWindow, .milliseconds(20))
        shard.deliver([makeDelivery("1", to: .user("A"))])
        XCTAssertEqual(a.flushes, 0)
        loop.advanceTime(by: .milliseconds(20))
        XCTAssertEqual(a.flushes, 1)
    }

    func testFlushingNowCancelsTheTimer() {
        let (shard, loop) = self.makeShard(window: .milliseconds(20))
        let a = RecordingSession(user: "A")
        shard.add(a)
        shard.deliver([makeDelivery("1", to: .user("A"))])
        shard.flush()
        XCTAssertEqual(a.writesPerFlush, [1])
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(a.flushes, 1)
        shard.deliver([makeDelivery("2", to: .user("A"))])
        XCTAssertEqual(a.flushes, 1, "a new window starts")
        loop.advanceTime(by: .milliseconds(20))
        XCTAssertEqual(a.writesPerFlush, [1, 1])
    }

    func testTheRouterSetsTheWindowOnEveryShard() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let router = Router(eventLoops: Array(group.makeIterator()), parser: EnvelopeParser(), logger: Logger(label: "test"))
        XCTAssertEqual(try router.collect { $0.writeCoalesceWindow }.wait(), [.zero, .zero])
        try router.setWriteCoalesceWindow(.milliseconds(30)).wait()
        XCTAssertEqual(try router.collect { $0.writeCoalesceWindow }.wait(), [.milliseconds(30), .milliseconds(30)])
    }

    /// A session whose flushes can be counted from any thread.
    private final class CountingSession: Session, @unchecked Sendable {
        // @unchecked Sendable: the session is used on its shard's loop only; `flushes` is locked.
        let flushes = NIOLockedValueBox(0)
        override func flush() { self.flushes.withLockedValue { $0 += 1 } }
    }

    func testAFlushPendingWhenTheLoopStopsDoesNotRunAndHoldsNothing() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        weak var weakSession: CountingSession?
        var router: Router? = Router(
            eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"), writeCoalesceWindow: .seconds(1))
        var session: CountingSession? = CountingSession(user: "A")
        weakSession = session
        let flushes = try XCTUnwrap(session).flushes
        try loop.submit { [router, session] in
            guard let router, let session else { return }
            let shard = router.shard(for: loop)
            shard.add(session)
            shard.deliver([makeDelivery("1", to: .user("A"))])
        }.wait()
        try group.syncShutdownGracefully()
        XCTAssertEqual(flushes.withLockedValue { $0 }, 0)
        router = nil
        session = nil
        XCTAssertNil(weakSession, "the dropped timer keeps neither the shard nor its sessions")
    }
}
