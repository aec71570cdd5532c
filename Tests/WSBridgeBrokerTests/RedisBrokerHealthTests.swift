import Foundation
import Logging
import NIOCore
import NIOPosix
import WSBridgeBroker
import WSBridgeTestSupport
import XCTest

/// The health check against a real `redis-server` frozen with SIGSTOP: its sockets stay open, nothing is
/// answered, no FIN ever comes. Only the check can notice. Waits are generous and bounded; no timing is
/// asserted beyond "eventually".
final class RedisBrokerHealthTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private let channelName = "websocket:sendMsgTopic"

    override func setUp() {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    }

    override func tearDown() {
        XCTAssertNoThrow(try self.group.syncShutdownGracefully())
    }

    func testAFrozenServerIsDeclaredDeadAndRelinkedOnceItThaws() throws {
        let redis = try RedisServer.started()
        defer { redis.resume() }  // never leave it frozen, whatever fails below
        let logs = LogCapture()
        let broker = RedisBroker(
            target: try RedisConnectionTarget(url: redis.url),
            channel: self.channelName,
            eventLoopGroup: self.group,
            reconnectMax: .milliseconds(200),
            connectTimeout: .seconds(1),
            healthInterval: .milliseconds(200),
            logger: logs.logger()
        )
        defer { XCTAssertNoThrow(try broker.shutdown().wait()) }
        let collector = MessageCollector()
        broker.start(handler: collector.handler)
        eventually("broker linked") { broker.isLinked }
        try publishWhenConnected(broker, "before")
        eventually("first message") { collector.strings == ["before"] }
        XCTAssertEqual(broker.healthTimeoutCount, 0, "a healthy, quiet link is not declared dead")

        redis.pause()
        let frozenPublish = PublishOutcome(broker.publish(ByteBuffer(string: "while frozen")).map { _ in })
        eventually("link declared dead", timeout: 10) { !broker.isLinked && broker.healthTimeoutCount >= 1 }
        eventually("the publish got an answer (a failure)", timeout: 10) { frozenPublish.failure != nil }
        let failure = frozenPublish.failure as? RedisBrokerError
        XCTAssertTrue(failure == .connectionLost || failure == .notConnected, "\(String(describing: failure))")
        let lost = logs.all.first { $0.message == "Redis connection lost; reconnecting now" }
        XCTAssertTrue(lost?.metadata["wsb.error"]?.description.contains("no answer to PING") ?? false, "\(String(describing: lost))")

        redis.resume()
        eventually("linked again", timeout: 15) { broker.isLinked }
        try publishWhenConnected(broker, "after", timeout: 10)
        eventually("delivery resumed", timeout: 10) { collector.strings.last == "after" }
        XCTAssertEqual(collector.linkChanges.prefix(2), [true, false])
    }
}

/// Where a publish future ended up, readable from the test thread.
///
/// `@unchecked Sendable`: `outcome` is only touched while holding `lock`.
private final class PublishOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var outcome: Result<Void, any Error>?

    init(_ future: EventLoopFuture<Void>) {
        future.whenComplete { result in self.lock.withLock { self.outcome = result } }
    }

    var failure: (any Error)? {
        self.lock.withLock {
            if case .failure(let error) = self.outcome { return error }
            return nil
        }
    }
}
