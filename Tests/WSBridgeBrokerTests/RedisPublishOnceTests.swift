import Foundation
import Logging
import NIOCore
import NIOPosix
import WSBridgeBroker
import WSBridgeTestSupport
import XCTest

/// `RedisBroker.publishOnce`, the publish path of `wsbridge publish --redis`, against a real redis-server.
///
/// The tests are synchronous: a redis-server started from an async test inherits the signal mask of a
/// Dispatch worker thread, SIGTERM blocked, and takes the 5 s of `RedisServer.stop()` to be killed.
final class RedisPublishOnceTests: XCTestCase {
    private let group = MultiThreadedEventLoopGroup.singleton
    private let channelName = "websocket:sendMsgTopic"
    private let quiet = Logger(label: "wsb.test", factory: { _ in SwiftLogNoOpLogHandler() })

    private var library: RedisFunctionLibrary {
        RedisFunctionLibrary(
            channel: self.channelName, historySize: 10, historyTTLMilliseconds: 60_000, metaTTLMilliseconds: 600_000)
    }

    /// A host's subscription, to see what the one-shot publish sent.
    private func listener(_ redis: RedisServer) throws -> MessageCollector {
        let broker = RedisBroker(
            target: try RedisConnectionTarget(url: redis.url), channel: self.channelName, eventLoopGroup: self.group,
            logger: self.quiet)
        self.addTeardownBlock { XCTAssertNoThrow(try broker.shutdown().wait()) }
        let collector = MessageCollector()
        broker.start(handler: collector.handler)
        eventually("listener linked") { broker.isLinked }
        return collector
    }

    private func publishOnce(
        _ url: String, library: RedisFunctionLibrary?, timeout: TimeAmount = .seconds(5)
    ) -> Result<PublishReceipt, any Error> {
        let target: RedisConnectionTarget
        do {
            target = try RedisConnectionTarget(url: url)
        } catch {
            return .failure(error)
        }
        let (channel, group, logger) = (self.channelName, self.group, self.quiet)
        let promise = group.next().makePromise(of: PublishReceipt.self)
        promise.completeWithTask {
            try await RedisBroker.publishOnce(
                ByteBuffer(string: #"{"user":"ann","data":"hi"}"#), target: target, channel: channel, library: library,
                timeout: timeout, eventLoopGroup: group, logger: logger)
        }
        return Result { try promise.futureResult.wait() }
    }

    /// Why the publish failed, as a `RedisBrokerError`.
    private func brokerError(_ result: Result<PublishReceipt, any Error>) -> RedisBrokerError? {
        switch result {
        case .success(let receipt):
            XCTFail("published: \(receipt)")
            return nil
        case .failure(let error):
            return error as? RedisBrokerError
        }
    }

    func testWhereRedisHasNoLibraryOneIsLoadedAndThePublishIsDurable() throws {
        let redis = try RedisServer.started()
        let received = try self.listener(redis)
        let receipt = try self.publishOnce(redis.url, library: self.library).get()
        let positions = try XCTUnwrap(receipt.positions, "durable: a position")
        eventually("delivered") { received.strings.count == 1 }
        XCTAssertEqual(received.strings, [#"{"wsb":"\#(positions)","user":"ann","data":"hi"}"#])
        XCTAssertTrue(redis.run(["FUNCTION", "LIST", "LIBRARYNAME", "wsbridge"]).contains("wsbridge"))
    }

    func testWithoutALibraryItIsAPlainPublishOfTheEnvelopeAsItIs() throws {
        let redis = try RedisServer.started()
        let received = try self.listener(redis)
        let receipt = try self.publishOnce(redis.url, library: nil).get()
        XCTAssertNil(receipt.positions, "best effort: no position")
        eventually("delivered") { received.strings.count == 1 }
        XCTAssertEqual(received.strings, [#"{"user":"ann","data":"hi"}"#])
    }

    func testNothingListeningFailsAtOnceNamingTheCause() throws {
        let port = try RedisServer.freeLoopbackPort()
        let started = Date()
        let error = self.brokerError(self.publishOnce("redis://127.0.0.1:\(port)", library: nil, timeout: .seconds(20)))
        XCTAssertEqual(error?.description, "connection refused (nothing listens) at 127.0.0.1:\(port)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "at once, not after the timeout")
    }

    func testARefusedPasswordFailsWithTheRefusalAndNeverShowsThePassword() throws {
        let redis = try RedisServer.started(password: "right-password")
        let error = self.brokerError(
            self.publishOnce("redis://:wrong-password@127.0.0.1:\(redis.port)", library: nil, timeout: .seconds(20)))
        let description = try XCTUnwrap(error?.description)
        XCTAssertTrue(description.hasPrefix("Redis refused the password (WRONGPASS)"), description)
        XCTAssertFalse(description.contains("wrong-password"), description)
    }

    func testAServerThatNeverAnswersRunsIntoTheTimeout() throws {
        // Accepts connections and says nothing: the handshake's PING is never answered.
        let silent = try ServerBootstrap(group: self.group)
            .childChannelInitializer { channel in channel.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = try XCTUnwrap(silent.localAddress?.port)
        let started = Date()
        let error = self.brokerError(self.publishOnce("redis://127.0.0.1:\(port)", library: nil, timeout: .milliseconds(300)))
        XCTAssertEqual(error, .notConnected)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "the timeout, not the 2 s connect timeout")
        try silent.close().wait()
    }
}
