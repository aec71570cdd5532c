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
            logs.all.contains {
                $0.level == .error && $0.message.hasPrefix("Redis refused the password (WRONGPASS): check the user and password in the redis URL")
            }
        }
        XCTAssertFalse(broker.isLinked)
        let refusal = try XCTUnwrap(logs.all.first { $0.level == .error })
        XCTAssertNotNil(refusal.metadata["wsb.delay_ms"])
        XCTAssertNotNil(refusal.metadata["wsb.attempt"])
        XCTAssertEqual(refusal.metadata["wsb.redis"], "redis://127.0.0.1:\(redis.port)/0")
        XCTAssertFalse(logs.all.contains { "\($0.message) \($0.metadata)".contains("wrong-password") })

        // Retries go on (both connections, every 200 ms at most), but the same cause is logged once per
        // connection: the attempts after it are at debug until the summary interval (30 s) passes.
        let retries = { logs.all.filter { $0.message == "Redis connection attempt failed again; retrying" } }
        eventually("the attempts go on") { retries().count > 4 }
        XCTAssertTrue(retries().allSatisfy { $0.level == .debug })
        XCTAssertEqual(logs.all.filter { $0.level == .error }.count, 2, "once for the subscriber, once for the publisher")
        XCTAssertEqual(broker.connectFailure.map { $0.hasPrefix("Redis refused the password (WRONGPASS)") }, true)
        XCTAssertFalse(broker.isLinked)
    }

    func testARepeatedCauseIsSummarisedAndANewCauseIsLoggedAtOnce() throws {
        let redis = try RedisServer.started(password: "right-password")
        let logs = LogCapture()
        let broker = RedisBroker(
            target: try RedisConnectionTarget(url: "redis://:wrong@127.0.0.1:\(redis.port)"), channel: "auth-test",
            eventLoopGroup: self.group, reconnectMax: .milliseconds(50), connectTimeout: .seconds(1),
            connectSummaryInterval: .milliseconds(400), subscribes: false, logger: logs.logger())
        defer { XCTAssertNoThrow(try broker.shutdown().wait()) }
        broker.start(handler: MessageCollector().handler)
        eventually("a summary of the attempts since") {
            logs.all.contains { $0.message == "Redis connection attempts still failing, for the same reason" }
        }
        let summary = try XCTUnwrap(logs.all.first { $0.message == "Redis connection attempts still failing, for the same reason" })
        XCTAssertEqual(summary.level, .error)
        XCTAssertGreaterThan(Int(summary.metadata["wsb.attempts"].map { "\($0)" } ?? "") ?? 0, 1)
        XCTAssertTrue(summary.metadata["wsb.error"].map { "\($0)".contains("WRONGPASS") } ?? false)

        // Redis goes away: a new cause, logged at once (at warning: no operator mistake in sight).
        redis.stop()
        eventually("the new cause") {
            logs.all.contains { $0.message == "Cannot reach Redis; keeps retrying in the background" }
        }
        let unreachable = try XCTUnwrap(logs.all.first { $0.message == "Cannot reach Redis; keeps retrying in the background" })
        XCTAssertEqual(unreachable.level, .warning)
        XCTAssertEqual(unreachable.metadata["wsb.error"], "connection refused (nothing listens) at 127.0.0.1:\(redis.port)")
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
        eventually("NOAUTH is logged as a missing password") {
            logs.all.contains {
                $0.level == .error && $0.message.hasPrefix("Redis requires a password and none is configured (NOAUTH)")
            }
        }
        XCTAssertFalse(broker.isLinked)
    }

    func testAPasswordForARedisWithoutOneIsNamedAsSuch() throws {
        let redis = try RedisServer.started()
        let logs = LogCapture()
        let broker = try self.broker("redis://:needless@127.0.0.1:\(redis.port)", logs: logs)
        defer { XCTAssertNoThrow(try broker.shutdown().wait()) }
        broker.start(handler: MessageCollector().handler)
        eventually("the needless password is named") {
            logs.all.contains {
                $0.level == .error && $0.message.hasPrefix("Redis has no password set, but the redis URL gives one: remove it from the URL")
            }
        }
    }
}
