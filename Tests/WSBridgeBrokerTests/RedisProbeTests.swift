import NIOCore
@testable import WSBridgeBroker
import XCTest

final class RedisProbeTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func testAProbeThatComesBackPassesAndTheNextOneGoesOut() {
        var probe = RedisProbe(interval: .seconds(5), instance: "i")
        XCTAssertEqual(probe.tick(now: self.start, linked: true), [.send("i:1")])
        XCTAssertEqual(probe.received("i:1", now: self.start + .milliseconds(2)), .milliseconds(2))
        XCTAssertEqual(probe.tick(now: self.start + .seconds(5), linked: true), [.send("i:2")])
        XCTAssertFalse(probe.isFailing)
    }

    func testAProbeNotBackByTheNextTickIsAMissAndNothingIsSentWithIt() {
        var probe = RedisProbe(interval: .seconds(5), instance: "i")
        _ = probe.tick(now: self.start, linked: true)
        XCTAssertEqual(probe.tick(now: self.start + .seconds(5), linked: true), [.missed])
        XCTAssertTrue(probe.isFailing)
        XCTAssertEqual(probe.tick(now: self.start + .seconds(10), linked: true), [.send("i:2")])
        _ = probe.received("i:2", now: self.start + .seconds(10))
        XCTAssertFalse(probe.isFailing, "one that passes clears the failure")
    }

    func testSomeoneElsesTokenProvesNothing() {
        var probe = RedisProbe(interval: .seconds(5), instance: "i")
        _ = probe.tick(now: self.start, linked: true)
        XCTAssertNil(probe.received("other:1", now: self.start))
        XCTAssertEqual(probe.tick(now: self.start + .seconds(5), linked: true), [.missed])
    }

    func testNoSubscriberCountedByRedisIsAMissAtOnce() {
        var probe = RedisProbe(interval: .seconds(5), instance: "i")
        _ = probe.tick(now: self.start, linked: true)
        XCTAssertNil(probe.published("i:1", receivers: 1))
        XCTAssertEqual(probe.published("i:1", receivers: 0), .missed)
        XCTAssertTrue(probe.isFailing)
    }

    func testNothingIsProbedWhileALinkIsDownAndALossForgetsTheProbe() {
        var probe = RedisProbe(interval: .seconds(5), instance: "i")
        XCTAssertEqual(probe.tick(now: self.start, linked: false), [])
        _ = probe.tick(now: self.start, linked: true)
        probe.linkLost()
        XCTAssertEqual(probe.tick(now: self.start + .seconds(5), linked: false), [], "no miss counted for a probe a loss forgot")
    }
}
