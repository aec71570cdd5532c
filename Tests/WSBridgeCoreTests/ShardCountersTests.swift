import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import XCTest

@testable import WSBridgeCore

/// What a shard counts for `/metrics` and status, and the latency it records.
final class ShardCountersTests: XCTestCase {
    /// A swift-metrics timer handler that keeps what it was given.
    private final class RecordingTimer: TimerHandler, Sendable {
        let values = NIOLockedValueBox<[Int64]>([])
        func recordNanoseconds(_ duration: Int64) {
            self.values.withLockedValue { $0.append(duration) }
        }
    }

    private final class QueuedSession: Session {
        var pending: Int
        init(user: String, pending: Int) {
            self.pending = pending
            super.init(user: user)
        }
        override var pendingOutboundBytes: Int { self.pending }
    }

    private func makeShard(timer: RecordingTimer? = nil) -> (Shard, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let latency = timer.map { CoreMetrics.Timer(label: "test", dimensions: [], handler: $0) }
        let router = Router(eventLoops: [loop], parser: EnvelopeParser(), logger: Logger(label: "test"), deliveryLatency: latency)
        return (router.shard(for: loop), loop)
    }

    func testLatencyIsRecordedOncePerMessageWrittenNotPerRecipient() {
        let timer = RecordingTimer()
        let (shard, _) = self.makeShard(timer: timer)
        for _ in 0..<50 { shard.add(RecordingSession(user: "A")) }
        shard.add(RecordingSession(user: "B"))
        shard.deliver([
            makeDelivery("to 50", to: .user("A")),
            makeDelivery("to 51", to: .all),
            makeDelivery("to nobody here", to: .user("Z")),
        ])
        let values = timer.values.withLockedValue { $0 }
        XCTAssertEqual(values.count, 2, "two messages had recipients here")
        XCTAssertTrue(values.allSatisfy { $0 >= 0 && $0 < 10_000_000_000 }, "\(values)")
        XCTAssertEqual(shard.counters.deliveries[.redis], 101, "deliveries are still per recipient")
    }

    func testWithoutATimerNothingIsRecorded() {
        let (shard, _) = self.makeShard()
        shard.add(RecordingSession(user: "A"))
        shard.deliver([makeDelivery("x", to: .user("A"))])
        XCTAssertEqual(shard.counters.deliveries[.redis], 1)
    }

    func testRefusalsLimitsAndDisconnectsAreCountedByKind() {
        let (shard, _) = self.makeShard()
        shard.countRefusal(.invalidToken)
        shard.countRefusal(.invalidToken)
        shard.countRefusal(.origin)
        shard.countLimitHit(.descriptorsExhausted)
        shard.countDisconnect(label: "1000")
        XCTAssertEqual(shard.counters.refusals, [.invalidToken: 2, .origin: 1])
        XCTAssertEqual(shard.counters.limitHits, [.descriptorsExhausted: 1])
        XCTAssertEqual(shard.counters.disconnects, ["1000": 1])
    }

    func testTheHeartbeatSamplesTheLargestOutboundQueue() {
        let (shard, loop) = self.makeShard()
        let small = QueuedSession(user: "A", pending: 100)
        let large = QueuedSession(user: "B", pending: 70_000)
        shard.add(small)
        shard.add(large)
        shard.startHeartbeat(interval: .seconds(1))
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(shard.counters.outboundQueueLargest, 70_000)
        XCTAssertEqual(shard.counters.outboundQueueHighWater, 70_000)
        large.pending = 0
        loop.advanceTime(by: .seconds(1))
        XCTAssertEqual(shard.counters.outboundQueueLargest, 100, "the largest now")
        XCTAssertEqual(shard.counters.outboundQueueHighWater, 70_000, "the most ever")
        shard.noteOutboundQueue(bytes: 1 << 20)
        XCTAssertEqual(shard.counters.outboundQueueHighWater, 1 << 20)
        shard.stopHeartbeat()
    }

    func testCloseCodesBeyondTheTableShareOneLabel() {
        XCTAssertEqual(CloseCode.disconnectLabel(.normal, closeFrameReceived: true), "1000")
        XCTAssertEqual(CloseCode.disconnectLabel(.policyViolation, closeFrameReceived: false), "1008")
        XCTAssertEqual(CloseCode.disconnectLabel(CloseCode(rawValue: 4321), closeFrameReceived: true), "other")
        XCTAssertEqual(CloseCode.disconnectLabel(CloseCode(rawValue: 1014), closeFrameReceived: true), "other")
        XCTAssertEqual(CloseCode.disconnectLabel(nil, closeFrameReceived: true), "1005")
        XCTAssertEqual(CloseCode.disconnectLabel(nil, closeFrameReceived: false), "1006")
        XCTAssertEqual(Set(CloseCode.disconnectLabels).count, CloseCode.labelledCodes.count + 1)
    }
}
