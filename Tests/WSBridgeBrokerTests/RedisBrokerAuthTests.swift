import Foundation
import Logging
import NIOCore
import NIOPosix
import WSBridgeBroker
import WSBridgeTestSupport
import XCTest

/// `requirepass`: a wrong password never links and says why; the right one links.
final class RedisBrokerAuthTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    override func tearDown() {
        XCTAssertNoThrow(try self.group.syncShutdownGracefully())
    }

    private func broker(_ url: String, logs: LogCapture) throws -> RedisBroker {
        RedisBroker(
            target: try RedisConnectionTarget(url: url),
            channel: "auth-test",
            eventLoopGroup: self.group,
            reconnectMax: .milliseconds(200),
            connectTimeout: .seconds(1),
            logger: logs.logger()
        )
    }

    func testAWrongPasswordNeverLinksAndTheLogNamesAUTH() throws {
        let redis = try RedisServer.started(password: "right-password")
        let logs = LogCapture()
        let broker = try self.broker("redis://:wrong-password@127.0.0.1:\(redis.port)", logs: logs)
        defer { XCTAssertNoThrow(try broker.shutdown().wait()) }
        broker.start(handler: MessageCollector().handler)

        eventually("an AUTH refusal is logged at error") {
            logs.all.contains { $0.level == .error && $0.message.contains("Redis refused AUTH: WRONGPASS") }
        }
        XCTAssertFalse(broker.isLinked)
        let refusal = try XCTUnwrap(logs.all.first { $0.level == .error })
        XCTAssertNotNil(refusal.metadata["wsb.delay_ms"])
        XCTAssertNotNil(refusal.metadata["wsb.attempt"])
        XCTAssertEqual(refusal.metadata["wsb.redis"], "redis://127.0.0.1:\(redis.port)/0")
        XCTAssertFalse(logs.all.contains { "\($0.message) \($0.metadata)".contains("wrong-password") })

        // Retries back off instead of spinning: over 0.5 s there are a handful of attempts, not hundreds.
        let before = logs.all.filter { $0.level == .error }.count
        usleep(500_000)
        let after = logs.all.filter { $0.level == .error }.count
        XCTAssertLessThan(after - before, 40)
        XCTAssertFalse(broker.isLinked)
    }

    func testTheRightPasswordLinks() throws {
        let redis = try RedisServer.started(password: "right-password")
        let logs = LogCapture()
        let broker = try self.broker("redis://:right-password@127.0.0.1:\(redis.port)/2", logs: logs)
        defer { XCTAssertNoThrow(try broker.shutdown().wait()) }
        let collector = MessageCollector()
        broker.start(handler: collector.handler)
        eventually("linked") { broker.isLinked }
        try publishWhenConnected(broker, "secret message")
        eventually("delivered") { collector.strings == ["secret message"] }
        XCTAssertFalse(logs.all.contains { $0.level >= .warning }, "\(logs.all.map(\.message))")
    }

    func testAnACLUserAuthenticatesWithUserAndPassword() throws {
        let redis = try RedisServer.started(password: "admin")
        XCTAssertEqual(redis.run(["ACL", "SETUSER", "app", "on", ">app-pw", "&*", "+@all"]), "OK")
        let logs = LogCapture()
        let broker = try self.broker("redis://app:app-pw@127.0.0.1:\(redis.port)", logs: logs)
        defer { XCTAssertNoThrow(try broker.shutdown().wait()) }
        let collector = MessageCollector()
        broker.start(handler: collector.handler)
        try publishWhenConnected(broker, "as app")
        eventually("delivered") { collector.strings == ["as app"] }
    }

    func testAMissingPasswordIsReportedAsAnAUTHProblem() throws {
        let redis = try RedisServer.started(password: "right-password")
        let logs = LogCapture()
        let broker = try self.broker(redis.url, logs: logs)
        defer { XCTAssertNoThrow(try broker.shutdown().wait()) }
        broker.start(handler: MessageCollector().handler)
        eventually("NOAUTH is logged as an AUTH refusal") {
            logs.all.contains { $0.level == .error && $0.message.contains("Redis refused AUTH: NOAUTH") }
        }
        XCTAssertFalse(broker.isLinked)
    }
}
