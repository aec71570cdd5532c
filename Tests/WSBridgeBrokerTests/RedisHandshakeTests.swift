import NIOCore
@testable import WSBridgeBroker
import XCTest

final class RedisHandshakeTests: XCTestCase {
    private let plain = RedisConnectionTarget(address: .tcp(host: "127.0.0.1", port: 6379))
    private let secured = RedisConnectionTarget(
        address: .tcp(host: "127.0.0.1", port: 6379),
        username: "app",
        password: "pw",
        database: 2
    )

    private func subscribed(_ channel: String) -> RESPValue {
        .array([.bulkString(ByteBuffer(string: "subscribe")), .bulkString(ByteBuffer(string: channel)), .integer(1)])
    }

    func testASubscriberWithoutPasswordOnlySubscribes() {
        var handshake = RedisHandshake.subscriber(target: self.plain, channel: "ch")
        XCTAssertEqual(handshake.commands, [RedisCommand("SUBSCRIBE", "ch")])
        guard case .complete = handshake.receive(self.subscribed("ch")) else { return XCTFail("not complete") }
    }

    func testManyUsersAreSubscribedInBatchesAndAWrongConfirmationFails() {
        let users = (0..<2500).map { "ch:{u:\($0)}" }
        var handshake = RedisHandshake.subscriber(target: self.plain, channels: ["ch"], sharded: users)
        XCTAssertEqual(handshake.commands.count, 4, "SUBSCRIBE, then 2500 channels in 3 SSUBSCRIBEs of at most 1000")
        XCTAssertEqual(handshake.commands.dropFirst().map { $0.arguments.count - 1 }, [1000, 1000, 500])
        guard case .inProgress = handshake.receive(self.subscribed("ch")) else { return XCTFail() }
        let wrong = RESPValue.array([.bulkString(ByteBuffer(string: "ssubscribe")), .bulkString(ByteBuffer(string: "ch:{u:9}")), .integer(1)])
        guard case .failed = handshake.receive(wrong) else { return XCTFail("a confirmation of another channel was taken") }
    }

    func testAPublisherAuthenticatesSelectsAndPings() {
        var handshake = RedisHandshake.publisher(target: self.secured)
        XCTAssertEqual(
            handshake.commands,
            [RedisCommand("AUTH", "app", "pw"), RedisCommand("SELECT", "2"), RedisCommand("PING")]
        )
        guard case .inProgress = handshake.receive(.simpleString("OK")) else { return XCTFail() }
        guard case .inProgress = handshake.receive(.simpleString("OK")) else { return XCTFail() }
        guard case .complete = handshake.receive(.simpleString("PONG")) else { return XCTFail() }
    }

    func testAnAuthErrorIsAnAuthRefusal() {
        var handshake = RedisHandshake.subscriber(target: self.secured, channel: "ch")
        let outcome = handshake.receive(.error("WRONGPASS invalid username-password pair or user is disabled."))
        guard case .failed(let loss) = outcome, loss.isAuthRefusal else { return XCTFail("\(outcome)") }
        XCTAssertTrue("\(loss)".contains("Redis refused the password (WRONGPASS)"), "\(loss)")
    }

    func testNOAUTHOnAnyCommandIsAnAuthRefusal() {
        var handshake = RedisHandshake.subscriber(target: self.plain, channel: "ch")
        guard case .failed(let loss) = handshake.receive(.error("NOAUTH Authentication required.")) else {
            return XCTFail()
        }
        XCTAssertTrue(loss.isAuthRefusal)
    }

    func testOtherErrorsAndWrongRepliesFailTheHandshake() {
        var rejected = RedisHandshake.publisher(target: self.secured)
        _ = rejected.receive(.simpleString("OK"))
        guard case .failed(let loss) = rejected.receive(.error("ERR DB index is out of range")) else {
            return XCTFail()
        }
        XCTAssertFalse(loss.isAuthRefusal)

        var confused = RedisHandshake.subscriber(target: self.plain, channel: "ch")
        guard case .failed = confused.receive(self.subscribed("other")) else { return XCTFail() }
    }
}

final class RedisHandshakeLibraryTests: XCTestCase {
    private let target = RedisConnectionTarget(address: .tcp(host: "127.0.0.1", port: 6379))
    private let library = RedisFunctionLibrary(channel: "ch", historySize: 100, historyTTLMilliseconds: 300_000, metaTTLMilliseconds: 3_600_000)

    private func afterPing(_ policy: RedisHandshake.LibraryPolicy = .replace) -> RedisHandshake {
        var handshake = RedisHandshake.publisher(target: self.target, library: self.library, policy: policy)
        XCTAssertEqual(handshake.commands.last, RedisCommand("FCALL_RO", "wsbridge_version", "0"))
        guard case .inProgress = handshake.receive(.simpleString("PONG")) else { XCTFail("ping"); return handshake }
        return handshake
    }

    private func loads(_ progress: RedisHandshake.Progress) -> Bool {
        guard case .inProgress(let send) = progress, send.count == 1 else { return false }
        return send[0].arguments.prefix(3).map { String(buffer: $0) } == ["FUNCTION", "LOAD", "REPLACE"]
    }

    func testTheCurrentLibraryIsLeftAlone() {
        var handshake = self.afterPing()
        guard case .complete = handshake.receive(.bulkString(ByteBuffer(string: self.library.versionReply))) else {
            return XCTFail()
        }
        XCTAssertEqual(handshake.libraryStatus, .current)
    }

    func testAMissingLibraryIsLoaded() {
        var handshake = self.afterPing()
        XCTAssertTrue(self.loads(handshake.receive(.error("ERR Function not found"))))
        guard case .complete = handshake.receive(.bulkString(ByteBuffer(string: "wsbridge"))) else { return XCTFail() }
        XCTAssertEqual(handshake.libraryStatus, .loaded)
    }

    func testOtherSettingsAreReplacedByTheDaemonButNotByATool() {
        let other = RedisFunctionLibrary(channel: "ch", historySize: 5, historyTTLMilliseconds: 1000, metaTTLMilliseconds: 1000)
        var daemon = self.afterPing()
        XCTAssertTrue(self.loads(daemon.receive(.bulkString(ByteBuffer(string: other.versionReply)))))
        _ = daemon.receive(.bulkString(ByteBuffer(string: "wsbridge")))
        XCTAssertEqual(daemon.libraryStatus, .replaced(held: other.versionReply))

        var tool = self.afterPing(.loadIfAbsent)
        guard case .complete = tool.receive(.bulkString(ByteBuffer(string: other.versionReply))) else { return XCTFail() }
        XCTAssertEqual(tool.libraryStatus, .keptOther(held: other.versionReply))
    }

    func testANewerVersionIsNeverDowngraded() {
        var handshake = self.afterPing()
        guard case .complete = handshake.receive(.bulkString(ByteBuffer(string: "99 size=1"))) else { return XCTFail() }
        XCTAssertEqual(handshake.libraryStatus, .keptNewer(held: "99 size=1"))
    }

    func testARedisWithoutFunctionsStillLinksWithoutALibrary() {
        var handshake = self.afterPing()
        guard case .complete = handshake.receive(.error("ERR unknown command 'FCALL_RO'")) else { return XCTFail() }
        XCTAssertEqual(handshake.libraryStatus?.isUsable, false)
    }

    func testARefusedLoadIsNoLibraryNotAFailedLink() {
        var handshake = self.afterPing()
        _ = handshake.receive(.error("ERR Function not found"))
        guard case .complete = handshake.receive(.error("NOPERM this user has no permissions to run the 'function|load' command")) else {
            return XCTFail()
        }
        XCTAssertEqual(handshake.libraryStatus?.isUsable, false)
    }

    func testASubscriberSubscribesToEveryChannelInOneCommand() {
        var handshake = RedisHandshake.subscriber(target: self.target, channels: ["ch", "ch:probe:n1"])
        XCTAssertEqual(handshake.commands, [RedisCommand("SUBSCRIBE", "ch", "ch:probe:n1")])
        let first = RESPValue.array([.bulkString(ByteBuffer(string: "subscribe")), .bulkString(ByteBuffer(string: "ch")), .integer(1)])
        let second = RESPValue.array([.bulkString(ByteBuffer(string: "subscribe")), .bulkString(ByteBuffer(string: "ch:probe:n1")), .integer(2)])
        guard case .inProgress = handshake.receive(first), case .complete = handshake.receive(second) else { return XCTFail() }
    }
}

final class RedisLibraryVersionTests: XCTestCase {
    func testAnOlderRevisionIsReplacedAndANewerOneKept() {
        XCTAssertFalse(RedisFunctionLibrary.isNewer("1 size=100"), "revision 0 of version 1")
        XCTAssertFalse(RedisFunctionLibrary.isNewer("1.1 size=100"))
        XCTAssertFalse(RedisFunctionLibrary.isNewer("\(RedisFunctionLibrary.version).\(RedisFunctionLibrary.revision) size=1"))
        XCTAssertTrue(RedisFunctionLibrary.isNewer("1.\(RedisFunctionLibrary.revision + 1) size=100"))
        XCTAssertTrue(RedisFunctionLibrary.isNewer("2 size=100"))
        XCTAssertFalse(RedisFunctionLibrary.isNewer("garbage"))
    }
}
