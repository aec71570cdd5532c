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
        XCTAssertTrue("\(loss)".contains("Redis refused AUTH: WRONGPASS"), "\(loss)")
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
