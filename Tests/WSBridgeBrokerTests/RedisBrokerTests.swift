import Foundation
import Logging
import NIOCore
import NIOPosix
import WSBridgeBroker
import WSBridgeTestSupport
import XCTest

/// The Redis broker against a real `redis-server` on a free loopback port.
final class RedisBrokerTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var brokers: [RedisBroker] = []
    private let channelName = "websocket:sendMsgTopic"

    override func setUp() {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    }

    override func tearDown() {
        for broker in self.brokers {
            XCTAssertNoThrow(try broker.shutdown().wait())
        }
        self.brokers = []
        XCTAssertNoThrow(try self.group.syncShutdownGracefully())
    }

    private func makeBroker(
        _ url: String,
        logger: Logger = Logger(label: "wsb.test", factory: { _ in SwiftLogNoOpLogHandler() }),
        connectTimeout: TimeAmount = .seconds(1)
    ) throws -> RedisBroker {
        let broker = RedisBroker(
            target: try RedisConnectionTarget(url: url),
            channel: self.channelName,
            eventLoopGroup: self.group,
            reconnectMax: .milliseconds(200),
            connectTimeout: connectTimeout,
            logger: logger
        )
        self.brokers.append(broker)
        return broker
    }

    private func startedBroker(_ url: String, logs: LogCapture = LogCapture()) throws -> (RedisBroker, MessageCollector) {
        let broker = try self.makeBroker(url, logger: logs.logger())
        let collector = MessageCollector()
        broker.start(handler: collector.handler)
        eventually("broker linked") { broker.isLinked }
        return (broker, collector)
    }

    func testWhatOneHostPublishesEveryHostReceives() throws {
        let redis = try RedisServer.started()
        let (first, firstMessages) = try self.startedBroker(redis.url)
        let (second, secondMessages) = try self.startedBroker(redis.url)
        XCTAssertEqual(firstMessages.linkChanges, [true])

        try publishWhenConnected(first, "from first")
        try publishWhenConnected(second, "from second")

        eventually("both hosts got both messages") {
            firstMessages.strings == ["from first", "from second"] && secondMessages.strings == firstMessages.strings
        }
        XCTAssertEqual(redis.run(["PUBLISH", self.channelName, "from redis-cli"]), "2")
        eventually("both hosts got the outside message") {
            firstMessages.strings.last == "from redis-cli" && secondMessages.strings.last == "from redis-cli"
        }
        XCTAssertEqual(second.ignoredPushCount, 0)
    }

    func testAThousandPipelinedPublishesArriveInOrder() throws {
        let redis = try RedisServer.started()
        let (broker, collector) = try self.startedBroker(redis.url)
        try publishWhenConnected(broker, "warm-up")
        let published = (0..<1_000).map { broker.publish(ByteBuffer(string: "message \($0)")) }
        XCTAssertNoThrow(try EventLoopFuture.andAllSucceed(published, on: self.group.next()).wait())

        let expected = ["warm-up"] + (0..<1_000).map { "message \($0)" }
        eventually("all 1,001 messages") { collector.messages.count >= expected.count }
        XCTAssertEqual(collector.strings, expected)
    }

    func testAKilledSubscriptionRelinksAndDeliveryResumes() throws {
        let redis = try RedisServer.started()
        let (broker, collector) = try self.startedBroker(redis.url)
        try publishWhenConnected(broker, "before")
        eventually("first message") { collector.strings == ["before"] }

        XCTAssertEqual(redis.run(["CLIENT", "KILL", "TYPE", "pubsub"]), "1")
        eventually("link dropped and came back") { collector.linkChanges == [true, false, true] }
        XCTAssertTrue(broker.isLinked)
        XCTAssertGreaterThanOrEqual(broker.reconnectCount, 1)

        try publishWhenConnected(broker, "after")
        eventually("message after the kill") { collector.strings == ["before", "after"] }
    }

    func testARestartedServerOnTheSamePortIsRelinkedWithoutANewBroker() throws {
        let redis = try RedisServer.started()
        let logs = LogCapture()
        let (broker, collector) = try self.startedBroker(redis.url, logs: logs)

        redis.stop()
        eventually("unlinked while Redis is down") { !broker.isLinked }
        let lost = logs.all.first { $0.message == "Redis connection lost; reconnecting now" }
        XCTAssertEqual(lost?.level, .warning)
        XCTAssertEqual(lost?.metadata["wsb.error"], "connection closed by the server")
        XCTAssertThrowsError(try broker.publish(ByteBuffer(string: "lost")).wait()) { error in
            XCTAssertEqual(error as? RedisBrokerError, .notConnected)
        }

        try redis.start()
        eventually("linked again") { broker.isLinked }
        try publishWhenConnected(broker, "after restart")
        eventually("delivery resumed") { collector.strings == ["after restart"] }
        XCTAssertEqual(collector.linkChanges, [true, false, true])
    }

    func testAnUnreachableServerAtStartIsRetriedUntilItAppears() throws {
        let redis = try RedisServer()  // a free port with nothing listening yet
        let logs = LogCapture()
        let broker = try self.makeBroker(redis.url, logger: logs.logger())
        let collector = MessageCollector()
        let started = Date()
        broker.start(handler: collector.handler)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "start must not block")
        let unreachable = { logs.all.filter { $0.message == "Cannot reach Redis; keeps retrying in the background" } }
        eventually("the first failure of each connection logged") { unreachable().count >= 2 }
        XCTAssertFalse(broker.isLinked)
        XCTAssertEqual(unreachable().first?.level, .warning)
        XCTAssertEqual(
            unreachable().filter { $0.metadata["wsb.attempt"].map { "\($0)" } == "1" }.count,
            2,
            "one warning per connection (subscriber, publisher) for the first failure"
        )
        XCTAssertThrowsError(try broker.publish(ByteBuffer(string: "x")).wait()) { error in
            XCTAssertEqual(error as? RedisBrokerError, .notConnected)
        }

        try redis.start()
        eventually("linked once the server answers") { broker.isLinked }
        try publishWhenConnected(broker, "hello")
        eventually("delivered") { collector.strings == ["hello"] }
        XCTAssertEqual(broker.reconnectCount, 0, "a first link is not a reconnect")
    }

    func testPublishingWhileDisconnectedFailsFast() throws {
        let port = try RedisServer.freeLoopbackPort()
        let broker = try self.makeBroker("redis://127.0.0.1:\(port)")
        XCTAssertThrowsError(try broker.publish(ByteBuffer(string: "not started")).wait()) { error in
            XCTAssertEqual(error as? RedisBrokerError, .notConnected)
        }
        broker.start(handler: MessageCollector().handler)
        for _ in 0..<100 {
            XCTAssertThrowsError(try broker.publish(ByteBuffer(string: "nobody there")).wait()) { error in
                XCTAssertEqual(error as? RedisBrokerError, .notConnected)
            }
        }
        XCTAssertNoThrow(try broker.shutdown().wait())
        XCTAssertThrowsError(try broker.publish(ByteBuffer(string: "after shutdown")).wait()) { error in
            XCTAssertEqual(error as? RedisBrokerError, .shutDown)
        }
    }

    func testTheUnixSocketFormWorks() throws {
        let redis = try RedisServer.started(unixSocket: true)
        let path = try XCTUnwrap(redis.unixSocketPath)
        let (broker, collector) = try self.startedBroker("unix://\(path)?db=1")
        XCTAssertEqual(broker.displayName, "unix://\(path)?db=1")
        try publishWhenConnected(broker, "over unix")
        eventually("delivered over the Unix socket") { collector.strings == ["over unix"] }
    }

    func testBinaryPayloadsWithCRLFArriveByteExact() throws {
        let redis = try RedisServer.started()
        let (broker, collector) = try self.startedBroker(redis.url)
        let payload: [UInt8] = Array(0...255) + Array("\r\n$5\r\n*3\r\n\r\n".utf8) + [0, 0, 13, 10]
        try publishWhenConnected(broker, "text first")
        XCTAssertNoThrow(try broker.publish(ByteBuffer(bytes: payload)).wait())
        // The same bytes from an outside producer (redis-cli -x reads the last argument from stdin).
        XCTAssertEqual(redis.run(["-x", "PUBLISH", self.channelName], input: Data(payload)), "1")
        eventually("both binary messages") { collector.messages.count == 3 }
        let messages = collector.messages
        XCTAssertEqual(messages.dropFirst().map { Array($0.readableBytesView) }, [payload, payload])
    }

    func testShutdownStopsDeliveryAndReconnecting() throws {
        let redis = try RedisServer.started()
        let (broker, collector) = try self.startedBroker(redis.url)
        try publishWhenConnected(broker, "one")
        eventually("delivered") { collector.strings == ["one"] }

        XCTAssertNoThrow(try broker.shutdown().wait())
        XCTAssertFalse(broker.isLinked)
        XCTAssertEqual(collector.linkChanges, [true, false])
        XCTAssertEqual(redis.run(["PUBLISH", self.channelName, "too late"]), "0", "no subscriber left")
        eventually("Redis has let the subscription go") {
            redis.run(["PUBSUB", "NUMSUB", self.channelName]) == "\(self.channelName)\n0"
        }
        XCTAssertEqual(collector.strings, ["one"])
        XCTAssertNoThrow(try broker.shutdown().wait(), "a second shutdown is harmless")
    }

    func testAKilledPublisherConnectionReconnectsWithoutTouchingTheLink() throws {
        let redis = try RedisServer.started()
        let (broker, collector) = try self.startedBroker(redis.url)
        try publishWhenConnected(broker, "before")
        // `TYPE normal` is the publisher (the subscriber is `pubsub`; redis-cli skips itself).
        XCTAssertEqual(redis.run(["CLIENT", "KILL", "TYPE", "normal"]), "1")
        try publishWhenConnected(broker, "after")
        eventually("both delivered") { collector.strings == ["before", "after"] }
        XCTAssertEqual(collector.linkChanges, [true], "the subscription never dropped")
        XCTAssertGreaterThanOrEqual(broker.reconnectCount, 1)
    }

    func testAServerThatNeverAnswersTimesOutEachAttemptAndIsRetried() throws {
        // Accepts connections and never says a word: only the connect timeout can end an attempt.
        let silent = try ServerBootstrap(group: self.group)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0)
            .wait()
        defer { XCTAssertNoThrow(try silent.close().wait()) }
        let port = try XCTUnwrap(silent.localAddress?.port)
        let logs = LogCapture()
        let broker = try self.makeBroker(
            "redis://127.0.0.1:\(port)",
            logger: logs.logger(),
            connectTimeout: .milliseconds(150)
        )
        broker.start(handler: MessageCollector().handler)

        eventually("several attempts timed out") {
            logs.all.filter { ($0.metadata["wsb.error"]?.description ?? "").contains("connect timeout") }.count >= 4
        }
        XCTAssertFalse(broker.isLinked)
    }
}
